import type { Adapter } from './adapter.ts';
import { alertmanagerAdapter } from './alertmanager.ts';
import { postgresAdapter } from './postgres.ts';
import { prometheusAdapter } from './prometheus.ts';
import { redisAdapter } from './redis.ts';

/** Image repositories we can run natively, by what the official image does. */
export const WELL_KNOWN: Record<string, Adapter> = {
  postgres: postgresAdapter,
  redis: redisAdapter,
  'prom/prometheus': prometheusAdapter,
  'prom/alertmanager': alertmanagerAdapter,
};
