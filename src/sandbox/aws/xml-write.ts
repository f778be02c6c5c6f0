/** What a response body is built from: objects become child elements in key order, arrays repeat a member element. */
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | undefined
  | null
  | XmlValue[]
  | { [name: string]: XmlValue }

/** The element each list's entries are written as, given the list's own element name. */
export type MemberName = (listName: string) => string

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}

const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)

/** XML protocols carry timestamps as ISO-8601 strings. */
function scalarText(value: string | number | boolean | Date): string {
  if (value instanceof Date) return value.toISOString()
  return escapeXml(String(value))
}

export function xmlElement(name: string, value: XmlValue, memberName: MemberName): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) {
    const member = memberName(name)
    return `<${name}>${value.map((entry) => xmlElement(member, entry, memberName)).join('')}</${name}>`
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    let children = ''
    for (const [child, childValue] of Object.entries(value))
      children += xmlElement(child, childValue, memberName)
    return `<${name}>${children}</${name}>`
  }
  return `<${name}>${scalarText(value)}</${name}>`
}

/** A whole document whose root element carries a namespace. */
export function xmlDocument(
  root: string,
  namespace: string | undefined,
  children: Record<string, XmlValue>,
  memberName: MemberName,
): string {
  let body = ''
  for (const [name, value] of Object.entries(children)) body += xmlElement(name, value, memberName)
  const xmlns = namespace === undefined ? '' : ` xmlns="${namespace}"`
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${xmlns}>${body}</${root}>`
}
