import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CONTENT_FIELDS } from '../../src/feeds/post-store.js';
import { loadLua, luaCommand, LuaScriptError, registerLuaCommands } from '../../src/lua-command.js';

/* The Lua loader (README, Architecture: "Redis scripts"): includes, errors, refusals. */

const fixture = (name: string) => new URL(`../fixtures/lua/${name}`, import.meta.url);
const src = fileURLToPath(new URL('../../src/', import.meta.url));

describe('loadLua', () => {
  it('replaces each @include line by the file it names, relative to the including file', () => {
    const lua = loadLua(fixture('echo.lua'));
    expect(lua).not.toContain('@include');
    // echo.lua includes includes/shared.lua, which includes leaf.lua next to itself.
    expect(lua.indexOf('local function leaf()')).toBeGreaterThan(-1);
    expect(lua.indexOf('local function leaf()')).toBeLessThan(lua.indexOf('local function tag()'));
    expect(lua.indexOf('local function tag()')).toBeLessThan(lua.indexOf('return {tag()'));
  });

  it('inserts a file included twice once, at its first include', () => {
    const lua = loadLua(fixture('twice.lua'));
    expect(lua.match(/local function leaf\(\)/g)).toHaveLength(1);
    expect(lua.indexOf('local function leaf()')).toBeLessThan(lua.indexOf('local function tag()'));
  });

  it('names the including file, its line and the missing file', () => {
    expect(() => loadLua(fixture('missing-include.lua'))).toThrow(LuaScriptError);
    expect(() => loadLua(fixture('missing-include.lua'))).toThrow(
      'Lua script test/fixtures/lua/missing-include.lua:2 includes ' +
        'test/fixtures/lua/includes/nope.lua, which does not exist',
    );
  });

  it('refuses an include cycle', () => {
    expect(() => loadLua(fixture('cycle.lua'))).toThrow(
      /cycle-b\.lua:1 includes .*cycle-a\.lua, which includes it back/,
    );
  });

  it('names a missing script', () => {
    expect(() => loadLua(fixture('nope.lua'))).toThrow(
      'Lua script test/fixtures/lua/nope.lua does not exist',
    );
  });

  it('loads every script of the service, leaving no @include behind', () => {
    const scripts = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.lua') && !f.split(path.sep).includes('includes'),
    );
    expect(scripts.length).toBeGreaterThan(30);
    for (const f of scripts) expect(loadLua(path.join(src, f))).not.toMatch(/^---\s*@include/m);
  });

  it("post-upsert.lua lists the post store's content fields in their order", () => {
    const lua = readFileSync(path.join(src, 'feeds/lua/post-upsert.lua'), 'utf8');
    const names = /local names = \{([^}]*)\}/.exec(lua)![1]!;
    expect(names).toBe(CONTENT_FIELDS.map((f) => `'${f}'`).join(', '));
  });
});

describe('luaCommand', () => {
  it('refuses a client with an ioredis keyPrefix (keys carry REDIS_PREFIX already)', async () => {
    const client = new Redis({ lazyConnect: true, keyPrefix: 'x:' });
    expect(() => registerLuaCommands(client)).toThrow(/keyPrefix/);
    const echo = luaCommand(fixture('echo.lua'), 1);
    await expect(echo(client, ['k'], [])).rejects.toThrow(/keyPrefix/);
    client.disconnect();
  });

  it('refuses a call with another number of keys than the script takes', async () => {
    const client = new Redis({ lazyConnect: true });
    const twice = luaCommand(fixture('twice.lua'), 2);
    await expect(twice(client, ['a'], [])).rejects.toThrow('takes 2 keys, was given 1');
    client.disconnect();
  });

  it('refuses one file loaded again with another key count', () => {
    luaCommand(fixture('plain.lua'), 1);
    expect(() => luaCommand(fixture('plain.lua'), 3)).toThrow(/loaded twice/);
  });
});
