/**
 * The server's host key, checked as ssh does against ~/.ssh/known_hosts: a key listed for that host
 * that differs from the one offered refuses the connection (someone else may be answering). A host
 * not listed is accepted, as `ssh -o StrictHostKeyChecking=accept-new` does, but nothing is written.
 * Plain and hashed (`|1|salt|hash`) host fields are read; `@cert-authority`/`@revoked` lines are skipped.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type HostKeyVerdict = 'match' | 'unknown' | 'mismatch';

/** How known_hosts names a host: `host`, or `[host]:port` when the port is not 22. */
function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function fieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  // Negated and wildcard patterns are ssh's; a plain list of names is what `ssh` itself writes.
  return field.split(',').includes(name);
}

/** Pure: the verdict for the key `keyBase64` offered by host:port, given known_hosts text. */
export function checkHostKey(knownHosts: string, host: string, port: number, keyBase64: string): HostKeyVerdict {
  const name = hostName(host, port);
  let listed = false;
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [field, , key] = line.split(/\s+/);
    if (!field || !key || !fieldMatches(field, name)) continue;
    if (key === keyBase64) return 'match';
    listed = true;
  }
  return listed ? 'mismatch' : 'unknown';
}

export function readKnownHosts(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
