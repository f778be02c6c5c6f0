/**
 * Secrets shorter than this are refused before a run starts: replacing a value like `a` or `1` by
 * `***` everywhere it appears would shred every line an operator reads, and a short value is found
 * by chance in ids, timestamps and hashes. Six is where a chance match in ordinary output gets rare.
 */
export const MIN_SECRET_LENGTH = 6

/** A base64 stretch shorter than this is left alone: it could match inside any other base64 by chance. */
const MIN_BASE64_LENGTH = 8

/** `it's` as it sits inside '...' after the CLI quotes it for /bin/sh (exec's command line). */
const shellQuoted = (value: string) => value.replaceAll("'", `'\\''`)

/** `it's` inside a T-SQL N'...' literal. */
const sqlQuoted = (value: string) => value.replaceAll("'", "''")

/** `a"b\c` inside a JSON string (NDJSON, --json, a JSON body a step echoes). */
const jsonEscaped = (value: string) => JSON.stringify(value).slice(1, -1)

/**
 * The base64 of a value, as ssm.run's prologue sends it (whole, UTF-8 for sh, UTF-16LE for
 * PowerShell), and the part of it that stays the same whatever bytes come before or after: the
 * value inside a longer encoded text (a JSON query the IIS and cluster scripts carry) lands at one
 * of three alignments.
 */
function base64Forms(value: string): string[] {
  const forms: string[] = []
  for (const encoding of ['utf8', 'utf16le'] as const) {
    const bytes = Buffer.from(value, encoding)
    forms.push(bytes.toString('base64'))
    for (let offset = 0; offset < 3; offset++) {
      const shifted = Buffer.concat([Buffer.alloc(offset), bytes])
      const end = Math.floor(shifted.length / 3) * 4
      forms.push(shifted.toString('base64').slice(offset === 0 ? 0 : 4, end))
    }
  }
  return forms.filter((form) => form.length >= MIN_BASE64_LENGTH)
}

/**
 * Every form of a secret the CLI itself may write: as is, shell-quoted, SQL-quoted, JSON-escaped,
 * base64-encoded, and, for a multi-line value, each line long enough to be told apart on its own.
 */
export function encodedForms(value: string): string[] {
  const lines = value.split(/\r?\n/).filter((line) => line.length >= MIN_SECRET_LENGTH)
  const texts = lines.length > 1 ? [value, ...lines] : [value]
  return [
    ...texts.flatMap((text) => [text, shellQuoted(text), sqlQuoted(text), jsonEscaped(text)]),
    ...base64Forms(value),
  ].filter((form) => form.length >= MIN_SECRET_LENGTH)
}
