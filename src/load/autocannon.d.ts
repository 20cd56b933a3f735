/** The part of autocannon 8 the closed-model engine uses (the package ships no types). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest | null | undefined;
  }

  /** One connection. Emits 'response' (status, bytes, ms), 'timeout', 'connError', 'request'. */
  export interface AutocannonClient extends EventEmitter {
    requestIterator: { context: Record<string, unknown> };
  }

  export interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    /** Seconds. */
    timeout?: number;
    overallRate?: number;
    pipelining?: number;
    requests?: AutocannonRequest[];
    setupClient?: (client: AutocannonClient) => void;
    excludeErrorStats?: boolean;
  }

  export interface AutocannonInstance extends EventEmitter {
    stop(): void;
  }

  function autocannon(opts: AutocannonOptions, cb: (err: Error | null, result: unknown) => void): AutocannonInstance;
  export default autocannon;
}
