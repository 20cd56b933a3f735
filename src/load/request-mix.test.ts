import { describe, expect, it } from 'vitest';
import { compileMix } from './request-mix.ts';
import { scenarioSchema } from './scenario.ts';

const scenario = (follow?: { pages: number }) => ({
  name: 't',
  ...scenarioSchema.parse({
    seed: 3,
    variables: { c: { min: 1, max: 1 } },
    requests: [{ path: '/conversations/{c}/messages?limit=2', ...(follow ? { follow } : {}) }],
    stages: [{ name: 's', duration: 1, rate: 1 }],
  }),
});

const page = (next: number | null) => Buffer.from(JSON.stringify({ messages: [], next_cursor: next }));

describe('request mix: walks (follow)', () => {
  it('sends the next_cursor of a page back on a later arrival, up to `pages` deep', () => {
    const mix = compileMix(scenario({ pages: 3 }));
    const first = mix.next();
    expect(first.path).toBe('/conversations/1/messages?limit=2');
    expect(first.walk?.depth).toBe(1);
    mix.observe!(first, 200, page(17));
    const second = mix.next();
    expect(second.path).toBe('/conversations/1/messages?limit=2&cursor=17');
    expect(second.walk?.depth).toBe(2);
    mix.observe!(second, 200, page(42));
    const third = mix.next();
    expect(third.path).toBe('/conversations/1/messages?limit=2&cursor=42');
    // At the depth limit the walk ends: the next arrival starts a new one.
    mix.observe!(third, 200, page(99));
    expect(mix.next().path).toBe('/conversations/1/messages?limit=2');
  });

  it('a last page (null cursor), an error or a body that is not JSON ends the walk', () => {
    const mix = compileMix(scenario({ pages: 10 }));
    mix.observe!(mix.next(), 200, page(null));
    mix.observe!(mix.next(), 500, page(5));
    mix.observe!(mix.next(), 200, Buffer.from('<html>'));
    expect(mix.next().path).toBe('/conversations/1/messages?limit=2');
  });

  it('without follow, requests carry no walk', () => {
    const mix = compileMix(scenario());
    expect(mix.next().walk).toBeUndefined();
  });
});
