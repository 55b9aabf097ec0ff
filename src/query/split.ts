// Splits SQL text into statements at top-level semicolons, for headings and for the shell's
// "is this statement finished?" test. DuckDB's own extractStatements() decides what runs; this
// lexer only has to agree with it on where statements end (the runner checks the counts match
// and falls back to numbered headings if they do not). It knows the tokens that can hide a ';':
// '…' strings ('' inside), E'…' strings (backslash escapes), "…" identifiers, $tag$…$tag$
// strings, -- line comments and /* … */ block comments (nested, as in DuckDB's parser).

export interface SplitResult {
  /** Statement texts, trimmed, without their ';'; pieces with only comments are left out. */
  statements: string[];
  /** The text after the last ';' (trimmed): an unfinished statement, or '' / only comments. */
  rest: string;
  /** The text ends inside a string, identifier or block comment. */
  open: boolean;
}

export function splitStatements(sql: string): SplitResult {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  let open = false;
  while (i < sql.length) {
    const end = skipToken(sql, i);
    if (end < 0) {
      open = true;
      break;
    }
    if (end === i) {
      if (sql[i] === ';') {
        pushStatement(statements, sql.slice(start, i));
        start = i + 1;
      }
      i += 1;
    } else i = end;
  }
  const rest = sql.slice(start).trim();
  return { statements, rest: open || hasCode(rest) ? rest : '', open };
}

/** True when the text holds at least one statement and nothing unfinished after it. */
export function endsStatement(sql: string): boolean {
  const split = splitStatements(sql);
  return !split.open && split.rest === '' && split.statements.length > 0;
}

function pushStatement(statements: string[], text: string): void {
  const trimmed = text.trim();
  if (hasCode(trimmed)) statements.push(trimmed);
}

/** Whether the text has anything but whitespace and comments. */
function hasCode(text: string): boolean {
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) i += 1;
    else if (text.startsWith('--', i) || text.startsWith('/*', i)) {
      const end = skipToken(text, i);
      if (end < 0) return false;
      i = end;
    } else return true;
  }
  return false;
}

/**
 * If a quoted token or comment starts at `at`, the index after it (−1 when it never ends);
 * otherwise `at` itself.
 */
function skipToken(sql: string, at: number): number {
  const ch = sql[at]!;
  if (ch === "'") {
    const escaped = at > 0 && /[eE]/.test(sql[at - 1]!) && !isWordChar(sql[at - 2]); // E'…'
    return escaped ? skipEscaped(sql, at + 1) : skipQuoted(sql, at + 1, "'");
  }
  if (ch === '"') return skipQuoted(sql, at + 1, '"');
  if (sql.startsWith('--', at)) {
    const newline = sql.indexOf('\n', at);
    return newline < 0 ? sql.length : newline + 1;
  }
  if (sql.startsWith('/*', at)) return skipBlockComment(sql, at);
  if (ch === '$') return skipDollar(sql, at);
  return at;
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_]/.test(ch);
}

/** '…' or "…" with the quote doubled inside. */
function skipQuoted(sql: string, from: number, quote: string): number {
  let i = from;
  for (;;) {
    const next = sql.indexOf(quote, i);
    if (next < 0) return -1;
    if (sql[next + 1] === quote) i = next + 2;
    else return next + 1;
  }
}

/** E'…' with backslash escapes (and '' still allowed). */
function skipEscaped(sql: string, from: number): number {
  for (let i = from; i < sql.length; i++) {
    if (sql[i] === '\\') i += 1;
    else if (sql[i] === "'") {
      if (sql[i + 1] === "'") i += 1;
      else return i + 1;
    }
  }
  return -1;
}

function skipBlockComment(sql: string, at: number): number {
  let depth = 0;
  for (let i = at; i < sql.length - 1; i++) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth += 1;
      i += 1;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth -= 1;
      i += 1;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** $tag$ … $tag$ (tag may be empty); a lone $ or $1 parameter is not a string. */
function skipDollar(sql: string, at: number): number {
  const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(at, at + 66));
  if (!tag || isWordChar(sql[at - 1])) return at;
  const close = sql.indexOf(tag[0], at + tag[0].length);
  return close < 0 ? -1 : close + tag[0].length;
}
