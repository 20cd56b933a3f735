import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey } from './known-hosts.ts';

const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIOb7key';
const OTHER = 'AAAAC3NzaC1lZDI1NTE5AAAAIOother';

describe('checkHostKey', () => {
  it('matches a plain entry, a [host]:port entry and a hashed one', () => {
    expect(checkHostKey(`box.example,10.0.0.2 ssh-ed25519 ${KEY}\n`, '10.0.0.2', 22, KEY)).toBe('match');
    expect(checkHostKey(`[box.example]:2222 ssh-ed25519 ${KEY}\n`, 'box.example', 2222, KEY)).toBe('match');
    const salt = Buffer.from('0123456789abcdef0123');
    const hash = createHmac('sha1', salt).update('10.0.0.2').digest('base64');
    expect(checkHostKey(`|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${KEY}\n`, '10.0.0.2', 22, KEY)).toBe('match');
  });

  it('refuses a different key for a listed host, and lets an unlisted host through', () => {
    expect(checkHostKey(`10.0.0.2 ssh-ed25519 ${OTHER}\n`, '10.0.0.2', 22, KEY)).toBe('mismatch');
    // The same host on another port is another entry.
    expect(checkHostKey(`10.0.0.2 ssh-ed25519 ${OTHER}\n`, '10.0.0.2', 2222, KEY)).toBe('unknown');
    expect(checkHostKey('# nothing\n@cert-authority * ssh-ed25519 X\n', '10.0.0.2', 22, KEY)).toBe('unknown');
  });
});
