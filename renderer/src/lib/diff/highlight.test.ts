import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { languageOf, MAX_HIGHLIGHT_CHARS, tokenize, type Language, type Token } from './highlight.ts';

const join = (t: Token[]) => t.map((x) => x.text).join('');
const cls = (t: Token[]) => t.filter((x) => x.cls !== '').map((x) => `${x.cls}:${x.text}`);

describe('languageOf', () => {
  it('goes by extension and a few well-known names', () => {
    const cases: [string, Language][] = [
      ['manifests/a.yaml', 'yaml'],
      ['x/values.YML', 'yaml'],
      ['dash.json', 'json'],
      ['infra/main.tf', 'hcl'],
      ['prod.tfvars', 'hcl'],
      ['src/app.ts', 'js'],
      ['cmd/main.go', 'go'],
      ['tool.py', 'python'],
      ['deploy.sh', 'shell'],
      ['Dockerfile', 'shell'],
      ['LICENSE', 'plain'],
      ['image.png', 'plain'],
    ];
    for (const [p, l] of cases) assert.equal(languageOf(p), l, p);
  });
});

describe('tokenize', () => {
  it('YAML: keys, strings, numbers, literals, comments', () => {
    const t = tokenize('  replicas: 3 # was 2', 'yaml');
    assert.deepEqual(cls(t), ['a:replicas', 'n:3', 'c:# was 2']);
    assert.deepEqual(cls(tokenize('- image: "quay.io/x:v1"', 'yaml')), ['a:image', 's:"quay.io/x:v1"']);
    assert.deepEqual(cls(tokenize('    enabled: true', 'yaml')), ['a:enabled', 'b:true']);
    assert.deepEqual(cls(tokenize('# a comment', 'yaml')), ['c:# a comment']);
    assert.deepEqual(cls(tokenize('  url: http://x:80/a', 'yaml')), ['a:url', 's:http://x:80/a']);
  });

  it('JSON: keys apart from string values', () => {
    assert.deepEqual(cls(tokenize('  "a": "b", "n": -1.5e3, "ok": null', 'json')), ['a:"a"', 's:"b"', 'a:"n"', 'n:-1.5e3', 'a:"ok"', 'b:null']);
  });

  it('HCL: blocks, attributes, strings, comments', () => {
    assert.deepEqual(cls(tokenize('resource "aws_s3_bucket" "logs" { # keep', 'hcl')), ['k:resource', 's:"aws_s3_bucket"', 's:"logs"', 'c:# keep']);
    assert.deepEqual(cls(tokenize('  count = 2', 'hcl')), ['a:count', 'n:2']);
  });

  it('generic: keywords, strings with escapes, comments', () => {
    assert.deepEqual(cls(tokenize('const s = "a\\"b"; // done', 'js')), ['k:const', 's:"a\\"b"', 'c:// done']);
    assert.deepEqual(cls(tokenize('func main() { return nil }', 'go')), ['k:func', 'k:return', 'b:nil']);
    assert.deepEqual(cls(tokenize('def f(x): return None  # why', 'python')), ['k:def', 'k:return', 'b:None', 'c:# why']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell source, not a template
    assert.deepEqual(cls(tokenize('echo "$HOME" ${#arr[@]}', 'shell')), ['s:"$HOME"']);
  });

  it('always gives back the whole line, whatever the input', () => {
    const samples = [
      '',
      ' ',
      '"unterminated',
      "'",
      '/* open',
      'a: "b',
      '{"k": [1, 2, {"x": "\\u0041"}]}',
      '\t- - - x: y',
      '\u0000\ud800 key: \uffff',
      '-- ',
      'x'.repeat(5000),
      'a '.repeat(500),
    ];
    const langs: Language[] = ['yaml', 'json', 'hcl', 'js', 'go', 'python', 'shell', 'plain'];
    for (const s of samples) for (const l of langs) assert.equal(join(tokenize(s, l)), s, `${l}: ${JSON.stringify(s.slice(0, 40))}`);
  });

  it('leaves long lines alone and caps tokens per line', () => {
    const long = 'key: value '.repeat(Math.ceil((MAX_HIGHLIGHT_CHARS + 10) / 11));
    assert.deepEqual(tokenize(long, 'yaml'), [{ text: long, cls: '' }]);
    const many = '1 '.repeat(900);
    const t = tokenize(many, 'js');
    assert.ok(t.length <= 66, `${t.length} tokens`);
    assert.equal(join(t), many);
  });
});
