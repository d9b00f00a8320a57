/**
 * The settings schema translated in the browser: every title and description
 * of schema/plugin.json comes out in Chinese from the shipped catalog, in
 * jupyterlab_server's contexts; English stays English; the input is a copy
 * left as it was; unknown strings and odd values pass through.
 */
/* eslint-disable jupyter/no-untranslated-string -- schemas as data: the
   function under test translates them. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { chinese, english } from '../../__tests__/catalog';
import { translateSchema } from '../schematext';

const SCHEMA_PATH = join(__dirname, '../../../schema/plugin.json');

function schema(): Record<string, any> {
  return JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
}

/**
 * Every title, description and setting-icon-label of a schema, with its path.
 */
function texts(node: unknown, path = ''): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  if (Array.isArray(node)) {
    node.forEach((item, i) => found.push(...texts(item, `${path}[${i}]`)));
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}/${key}`;
      if (
        typeof value === 'string' &&
        ['title', 'description', 'jupyter.lab.setting-icon-label'].includes(key)
      ) {
        found.push([at, value]);
      } else {
        found.push(...texts(value, at));
      }
    }
  }
  return found;
}

function at(node: any, path: string): unknown {
  return path
    .split('/')
    .slice(1)
    .flatMap(part => part.split(/\[(\d+)\]/).filter(Boolean))
    .reduce((value, key) => value?.[key], node);
}

const HAN = /[\u4e00-\u9fff]/;

describe('translateSchema', () => {
  it('words every title and description of schema/plugin.json in Chinese', () => {
    const original = schema();
    const found = texts(original);
    // The top level, the icon label, 7 properties, 5 oneOf titles.
    expect(found).toHaveLength(2 + 1 + 7 * 2 + 5);
    const translated = translateSchema(original, chinese());
    for (const [path, english] of found) {
      const text = at(translated, path);
      expect([path, text]).toEqual([path, expect.stringMatching(HAN)]);
      expect(text).not.toBe(english);
    }
    expect(translated.title).toBe('设备测速');
    expect(translated['jupyter.lab.setting-icon-label']).toBe('设备测速');
    expect(translated.properties.defaultProfile.title).toBe('默认基准测试配置');
    expect(translated.properties.deviceCellExecution.oneOf[1].title).toBe(
      '插入或更新单元格，然后运行'
    );
  });

  it('uses jupyterlab_server contexts: schema at the top, settings below', () => {
    const calls: Array<[string, string]> = [];
    const trans = {
      _p: (context: string, text: string) => {
        calls.push([context, text]);
        return text;
      }
    };
    translateSchema(
      {
        title: 'T',
        description: 'D',
        'jupyter.lab.setting-icon-label': 'I',
        'jupyter.lab.menus': {
          main: [{ id: 'm', label: 'M', items: [{ command: 'c' }] }]
        },
        'jupyter.lab.toolbars': { Cell: [{ name: 'n', label: 'B' }] },
        properties: {
          a: {
            title: 'PT',
            description: 'PD',
            default: 'not translated',
            oneOf: [{ const: 'x', title: 'OT' }]
          }
        },
        definitions: {
          d: {
            title: 'not translated',
            properties: { p: { title: 'DT', description: 'DD' } }
          }
        }
      },
      trans
    );
    expect(calls).toEqual([
      ['schema', 'T'],
      ['schema', 'D'],
      ['settings', 'I'],
      ['menu', 'M'],
      ['toolbar', 'B'],
      ['settings', 'PT'],
      ['settings', 'PD'],
      ['settings', 'OT'],
      ['settings', 'DT'],
      ['settings', 'DD']
    ]);
  });

  it("translates a schema's own selectors in the schema context", () => {
    const translated = translateSchema(
      {
        'jupyter.lab.internationalization': {
          domain: 'x',
          selectors: ['extra/.*/name', '(unbalanced']
        },
        extra: { one: { name: 'N' } }
      },
      { _p: (context: string, text: string) => `${context}:${text}` }
    );
    expect(translated.extra.one.name).toBe('schema:N');
  });

  it('keeps English with the English bundle', () => {
    const original = schema();
    expect(translateSchema(original, english())).toEqual(original);
  });

  it('copies: the input is not changed, and translating twice is stable', () => {
    const original = schema();
    const before = JSON.stringify(original);
    const once = translateSchema(original, chinese());
    expect(JSON.stringify(original)).toBe(before);
    expect(once).not.toBe(original);
    expect(once.properties).not.toBe(original.properties);
    expect(once['jupyter.lab.menus']).not.toBe(original['jupyter.lab.menus']);
    expect(once['jupyter.lab.menus']).toEqual(original['jupyter.lab.menus']);
    expect(translateSchema(once, chinese())).toEqual(once);
  });

  it('passes unknown strings and odd values through without throwing', () => {
    const odd = {
      title: 'A title no catalog has',
      description: 42,
      properties: {
        a: null,
        b: { title: ['x'], description: { nested: 'y' }, oneOf: [1, null, []] },
        c: []
      },
      definitions: 'nope'
    };
    expect(translateSchema(odd, chinese())).toEqual(odd);
    expect(translateSchema(null, chinese())).toBeNull();
    expect(translateSchema('text', chinese())).toBe('text');
    expect(translateSchema([{ title: 'x' }], chinese())).toEqual([
      { title: 'x' }
    ]);
  });
});
