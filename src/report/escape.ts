const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Any value as HTML text or an attribute value: every character HTML gives a meaning to is escaped. */
export const escapeHtml = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => HTML[c] as string)

/**
 * Text for a Markdown line or table cell: what Markdown acts on inside a line (emphasis, code, links,
 * a cell's `|`) is backslash-escaped, what HTML acts on is entity-encoded, and line breaks become `<br>`.
 */
export const escapeMarkdown = (value: unknown): string =>
  String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, '<br>')
