// Small per-line tokenizers for diff rows: YAML, JSON, HCL/Terraform and a generic one for C-like
// and hash-comment languages. Tokens are rendered as text inside spans (never as HTML). Each line
// is tokenized on its own (no multi-line state: a diff shows fragments anyway), in one forward
// pass, and long lines are not highlighted at all.

export type TokenClass = '' | 'k' | 's' | 'n' | 'c' | 'a' | 'b' | 'p';
// k keyword, s string, n number, c comment, a key/attribute, b boolean/null, p punctuation

export interface Token {
  text: string;
  cls: TokenClass;
}

export type Language = 'yaml' | 'json' | 'hcl' | 'js' | 'go' | 'python' | 'shell' | 'plain';

/** Lines longer than this are returned as one plain token. */
export const MAX_HIGHLIGHT_CHARS = 2000;
/** At most this many tokens per line; the rest of the line is one plain token. */
export const MAX_TOKENS = 64;

const EXT: Record<string, Language> = {
  yaml: 'yaml',
  yml: 'yaml',
  json: 'json',
  jsonnet: 'json',
  libsonnet: 'json',
  tf: 'hcl',
  tfvars: 'hcl',
  hcl: 'hcl',
  nomad: 'hcl',
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  jsx: 'js',
  ts: 'js',
  tsx: 'js',
  mts: 'js',
  cts: 'js',
  svelte: 'js',
  java: 'js',
  kt: 'js',
  c: 'js',
  h: 'js',
  cc: 'js',
  cpp: 'js',
  rs: 'js',
  cs: 'js',
  go: 'go',
  py: 'python',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  rb: 'shell',
  toml: 'shell',
  ini: 'shell',
  conf: 'shell',
  properties: 'shell',
};

/** The language of a path, by extension (and a few well-known names). */
export function languageOf(path: string): Language {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (base === 'dockerfile' || base.startsWith('dockerfile.') || base === 'makefile' || base === '.env' || base.endsWith('.env')) return 'shell';
  const dot = base.lastIndexOf('.');
  if (dot === -1) return 'plain';
  return EXT[base.slice(dot + 1)] ?? 'plain';
}

const KEYWORDS: Record<'js' | 'go' | 'python' | 'shell' | 'hcl', Set<string>> = {
  js: new Set(
    'abstract async await break case catch class const continue debugger default delete do else enum export extends finally for fn from function if impl implements import in instanceof interface let match mod mut new of package private protected pub public readonly return static struct super switch this throw try type typeof use var void while with yield'.split(
      ' ',
    ),
  ),
  go: new Set(
    'break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var'.split(
      ' ',
    ),
  ),
  python: new Set(
    'and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
      ' ',
    ),
  ),
  shell: new Set(
    'if then else elif fi for while until do done case esac in function return export local readonly set unset FROM RUN CMD ENTRYPOINT COPY ADD ENV ARG WORKDIR USER EXPOSE LABEL VOLUME'.split(
      ' ',
    ),
  ),
  hcl: new Set('resource data variable output module provider locals terraform for in if each count dynamic content'.split(' ')),
};
const LITERALS = new Set(['true', 'false', 'null', 'nil', 'None', 'True', 'False', 'undefined', 'yes', 'no', 'on', 'off', '~']);

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
const isIdent = (c: number) => isIdentStart(c) || isDigit(c);

class Out {
  readonly tokens: Token[] = [];
  constructor(private readonly line: string) {}
  push(start: number, end: number, cls: TokenClass): void {
    if (end <= start) return;
    const last = this.tokens[this.tokens.length - 1];
    const text = this.line.slice(start, end);
    if (last && last.cls === cls) last.text += text;
    else this.tokens.push({ text, cls });
  }
  get full(): boolean {
    return this.tokens.length >= MAX_TOKENS;
  }
}

/** End of a quoted string starting at i (the quote), honouring backslash escapes unless `raw`. */
function stringEnd(line: string, i: number, raw = false): number {
  const q = line.charCodeAt(i);
  let j = i + 1;
  while (j < line.length) {
    const c = line.charCodeAt(j);
    if (c === 92 && !raw) j += 2;
    else if (c === q) return j + 1;
    else j++;
  }
  return line.length;
}

function numberEnd(line: string, i: number): number {
  let j = i;
  while (j < line.length) {
    const c = line.charCodeAt(j);
    if (isIdent(c) || c === 46 /* . */) j++;
    else break;
  }
  return j;
}

/** JS/TS/Go/Python/shell/HCL: comments, strings, numbers, keywords, literals. */
function tokenizeGeneric(line: string, lang: 'js' | 'go' | 'python' | 'shell' | 'hcl'): Token[] {
  const out = new Out(line);
  const kw = KEYWORDS[lang];
  const hash = lang !== 'js' && lang !== 'go';
  const slash = lang === 'js' || lang === 'go' || lang === 'hcl';
  let i = 0;
  let plainFrom = 0;
  const flush = (to: number) => {
    out.push(plainFrom, to, '');
  };
  while (i < line.length) {
    if (out.full) break;
    const c = line.charCodeAt(i);
    if (
      (hash && c === 35 /* # */ && (i === 0 || line.charCodeAt(i - 1) === 32 || line.charCodeAt(i - 1) === 9)) ||
      (slash && c === 47 && line.charCodeAt(i + 1) === 47)
    ) {
      flush(i);
      out.push(i, line.length, 'c');
      plainFrom = i = line.length;
      break;
    }
    if (slash && c === 47 && line.charCodeAt(i + 1) === 42 /* * */) {
      flush(i);
      const end = line.indexOf('*/', i + 2);
      const j = end === -1 ? line.length : end + 2;
      out.push(i, j, 'c');
      plainFrom = i = j;
      continue;
    }
    if (c === 34 || c === 39 || c === 96) {
      flush(i);
      const j = stringEnd(line, i, c === 96 && lang === 'go');
      out.push(i, j, 's');
      plainFrom = i = j;
      continue;
    }
    if (isDigit(c) && (i === 0 || !isIdent(line.charCodeAt(i - 1)))) {
      flush(i);
      const j = numberEnd(line, i);
      out.push(i, j, 'n');
      plainFrom = i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < line.length && isIdent(line.charCodeAt(j))) j++;
      const word = line.slice(i, j);
      const cls: TokenClass = kw.has(word) ? 'k' : LITERALS.has(word) && word !== 'yes' && word !== 'no' && word !== 'on' && word !== 'off' ? 'b' : '';
      if (lang === 'hcl' && /^\s*=(?!=)/.test(line.slice(j, j + 8))) {
        flush(i);
        out.push(i, j, 'a');
        plainFrom = j;
      } else if (cls !== '') {
        flush(i);
        out.push(i, j, cls);
        plainFrom = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  out.push(plainFrom, line.length, '');
  return out.tokens;
}

/** A YAML scalar: literal, number or plain text (with a trailing comment split off). */
function yamlValue(line: string, i: number, out: Out): void {
  const start = i;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  out.push(start, i, '');
  if (i >= line.length) return;
  const c = line.charCodeAt(i);
  if (c === 35) {
    out.push(i, line.length, 'c');
    return;
  }
  if (c === 34 || c === 39) {
    const j = stringEnd(line, i, c === 39);
    out.push(i, j, 's');
    yamlValue(line, j, out);
    return;
  }
  // a comment starts at " #"
  let end = line.indexOf(' #', i);
  if (end === -1) end = line.length;
  let valueEnd = end;
  while (valueEnd > i && line.charCodeAt(valueEnd - 1) === 32) valueEnd--;
  const value = line.slice(i, valueEnd);
  let cls: TokenClass = 's';
  if (LITERALS.has(value) || LITERALS.has(value.toLowerCase())) cls = 'b';
  else if (/^[-+]?(\d[\d_]*)(\.\d+)?([eE][-+]?\d+)?$/.test(value) || /^0x[0-9a-fA-F]+$/.test(value)) cls = 'n';
  else if (c === 124 /* | */ || c === 62 /* > */ || c === 123 || c === 91 || c === 38 || c === 42) cls = 'p'; // block scalars, flow, anchors
  out.push(i, valueEnd, cls);
  const commentAt = end < line.length ? end + 1 : end; // past the space of " #"
  out.push(valueEnd, commentAt, '');
  if (commentAt < line.length) out.push(commentAt, line.length, 'c');
}

function tokenizeYaml(line: string): Token[] {
  const out = new Out(line);
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  out.push(0, i, '');
  if (i >= line.length) return out.tokens;
  if (line.charCodeAt(i) === 35) {
    out.push(i, line.length, 'c');
    return out.tokens;
  }
  if (line.startsWith('---', i) || line.startsWith('...', i)) {
    out.push(i, line.length, 'p');
    return out.tokens;
  }
  // list item markers
  while (line.charCodeAt(i) === 45 && (line.charCodeAt(i + 1) === 32 || i + 1 === line.length)) {
    out.push(i, i + 1, '');
    const s = i + 1;
    i++;
    while (i < line.length && line.charCodeAt(i) === 32) i++;
    out.push(s, i, '');
  }
  // key: find ": " or a trailing ":" outside quotes
  let j = i;
  const q = line.charCodeAt(i);
  if (q === 34 || q === 39) j = stringEnd(line, i, q === 39);
  let colon = -1;
  for (let k = j; k < line.length; k++) {
    const c = line.charCodeAt(k);
    if (c === 58 && (k + 1 === line.length || line.charCodeAt(k + 1) === 32)) {
      colon = k;
      break;
    }
    if (c === 35 && line.charCodeAt(k - 1) === 32) break;
    if (c === 34 || c === 39 || c === 123 || c === 91) break;
  }
  if (colon !== -1) {
    out.push(i, colon, 'a');
    out.push(colon, colon + 1, ''); // punctuation stays plain: fewer nodes per row
    yamlValue(line, colon + 1, out);
  } else yamlValue(line, i, out);
  return out.tokens;
}

function tokenizeJson(line: string): Token[] {
  const out = new Out(line);
  let i = 0;
  let plainFrom = 0;
  while (i < line.length) {
    if (out.full) break;
    const c = line.charCodeAt(i);
    if (c === 34) {
      out.push(plainFrom, i, '');
      const j = stringEnd(line, i);
      let k = j;
      while (k < line.length && line.charCodeAt(k) === 32) k++;
      out.push(i, j, line.charCodeAt(k) === 58 ? 'a' : 's');
      plainFrom = i = j;
      continue;
    }
    if (isDigit(c) || (c === 45 && isDigit(line.charCodeAt(i + 1)))) {
      out.push(plainFrom, i, '');
      const j = numberEnd(line, i + 1);
      out.push(i, j, 'n');
      plainFrom = i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < line.length && isIdent(line.charCodeAt(j))) j++;
      const word = line.slice(i, j);
      if (word === 'true' || word === 'false' || word === 'null') {
        out.push(plainFrom, i, '');
        out.push(i, j, 'b');
        plainFrom = j;
      }
      i = j;
      continue;
    }
    if (c === 47 && line.charCodeAt(i + 1) === 47) {
      // jsonnet / JSON with comments
      out.push(plainFrom, i, '');
      out.push(i, line.length, 'c');
      plainFrom = i = line.length;
      break;
    }
    i++;
  }
  out.push(plainFrom, line.length, '');
  return out.tokens;
}

/** Tokens of one line; their texts always concatenate to the line. */
export function tokenize(line: string, lang: Language): Token[] {
  if (line.length === 0) return [];
  if (lang === 'plain' || line.length > MAX_HIGHLIGHT_CHARS) return [{ text: line, cls: '' }];
  let tokens: Token[];
  switch (lang) {
    case 'yaml':
      tokens = tokenizeYaml(line);
      break;
    case 'json':
      tokens = tokenizeJson(line);
      break;
    case 'hcl':
    case 'js':
    case 'go':
    case 'python':
    case 'shell':
      tokens = tokenizeGeneric(line, lang);
      break;
    default:
      lang satisfies never;
      return [{ text: line, cls: '' }];
  }
  // the token cap stops a tokenizer early: the rest of the line follows as plain text
  let covered = 0;
  for (const t of tokens) covered += t.text.length;
  if (covered < line.length) tokens.push({ text: line.slice(covered), cls: '' });
  return tokens;
}
