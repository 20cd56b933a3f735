/**
 * The alerts the profile's own Prometheus fired during the run (pending or firing), read from its API.
 */
import { imageRepo } from '../profile/compose-fields.ts';
import type { Stack } from '../profile/stack.ts';

export interface FiredAlert {
  name: string;
  state: string;
  severity?: string;
  summary?: string;
  activeAt?: string;
}

export function prometheusUrl(stack: Stack): string | undefined {
  const svc = stack.services.find((s) => s.launch && s.image && imageRepo(s.image) === 'prom/prometheus');
  const port = svc?.ports.find((p) => p.container === 9090) ?? svc?.ports[0];
  return port ? `http://${port.hostIp}:${port.host}` : undefined;
}

export async function fetchFiredAlerts(stack: Stack): Promise<FiredAlert[]> {
  const base = prometheusUrl(stack);
  if (!base) return [];
  const res = await fetch(`${base}/api/v1/alerts`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { data?: { alerts?: Array<{ labels: Record<string, string>; annotations?: Record<string, string>; state: string; activeAt?: string }> } };
  return (body.data?.alerts ?? []).map((a) => ({
    name: a.labels.alertname,
    state: a.state,
    severity: a.labels.severity,
    summary: a.annotations?.summary,
    activeAt: a.activeAt,
  }));
}
