/**
 * Which Debian mirror debootstrap should use: the one this machine's apt already uses, so the
 * image build works wherever `apt-get install` works (a local mirror, a proxy, a snapshot).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** Parses one-line `deb URI SUITE COMPONENTS...` entries (sources.list, *.list). */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ')) continue;
    // Drop an options block: deb [arch=amd64 signed-by=...] URI SUITE COMP
    const words = line.replace(/\[[^\]]*\]/, '').split(/\s+/).slice(1);
    const [uri, suite, ...components] = words;
    if (uri && suite) out.push({ uri, suites: [suite], components });
  }
  return out;
}

/** Parses deb822 stanzas (*.sources). */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) fields.set(m[1].toLowerCase(), m[2].trim());
    }
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb') || fields.get('enabled') === 'no') continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    const components = (fields.get('components') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) out.push({ uri, suites, components });
  }
  return out;
}

/** The first source that carries `suite` itself (not -updates / -security) with `main`. */
export function pickMirror(sources: AptSource[], suite: string): string | undefined {
  const hit = sources.find((s) => s.suites.includes(suite) && s.components.includes('main'));
  return hit?.uri.replace(/\/+$/, '');
}

export function machineMirror(suite: string, root = '/etc/apt'): string {
  const sources: AptSource[] = [];
  try {
    sources.push(...parseOneLineSources(readFileSync(join(root, 'sources.list'), 'utf8')));
  } catch {
    /* no sources.list: deb822 only */
  }
  let entries: string[] = [];
  try {
    entries = readdirSync(join(root, 'sources.list.d')).sort();
  } catch {
    /* none */
  }
  for (const name of entries) {
    let text: string;
    try {
      text = readFileSync(join(root, 'sources.list.d', name), 'utf8');
    } catch {
      // A dangling link or an unreadable file in sources.list.d: apt skips it too.
      continue;
    }
    if (name.endsWith('.list')) sources.push(...parseOneLineSources(text));
    else if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(text));
  }
  return pickMirror(sources, suite) ?? DEFAULT_MIRROR;
}
