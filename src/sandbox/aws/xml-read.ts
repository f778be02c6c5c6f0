/** An element of a parsed request body: attributes are dropped, text is decoded. */
export interface XmlNode {
  name: string
  children: XmlNode[]
  text: string
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10))
    const named = NAMED_ENTITIES[entity]
    if (named === undefined) throw new Error(`unknown entity ${whole}`)
    return named
  })
}

const NAME = /^[A-Za-z_][\w.:-]*/

/**
 * Parses the small, well-formed documents the SDK sends (no DTDs, so no entity expansion).
 * Iterative, so a deeply nested body cannot overflow the stack.
 */
export function parseXml(source: string): XmlNode {
  const stack: XmlNode[] = []
  let root: XmlNode | undefined
  let at = 0
  const fail = (reason: string): never => {
    throw new Error(`${reason} at offset ${at}`)
  }
  const skipPast = (terminator: string) => {
    const end = source.indexOf(terminator, at)
    if (end < 0) fail(`unterminated ${source.slice(at, at + 9)}`)
    at = end + terminator.length
  }
  while (at < source.length) {
    const lt = source.indexOf('<', at)
    const text = source.slice(at, lt < 0 ? source.length : lt)
    const open = stack.at(-1)
    if (open) open.text += decodeEntities(text)
    else if (text.trim() !== '') fail('text outside the root element')
    if (lt < 0) break
    at = lt
    if (source.startsWith('<?', at)) skipPast('?>')
    else if (source.startsWith('<!--', at)) skipPast('-->')
    else if (source.startsWith('<![CDATA[', at)) {
      const end = source.indexOf(']]>', at)
      if (end < 0 || !open) fail('misplaced CDATA')
      if (open) open.text += source.slice(at + 9, end)
      at = end + 3
    } else if (source.startsWith('<!', at)) fail('DTDs are not accepted')
    else if (source.startsWith('</', at)) {
      const end = source.indexOf('>', at)
      if (end < 0) fail('unterminated end tag')
      const name = source.slice(at + 2, end).trim()
      const closing = stack.pop()
      if (!closing || closing.name !== name) fail(`</${name}> does not close <${closing?.name ?? ''}>`)
      at = end + 1
    } else {
      const name = NAME.exec(source.slice(at + 1, at + 257))?.[0] ?? fail('bad element name')
      const end = source.indexOf('>', at)
      if (end < 0) fail(`unterminated <${name}>`)
      if (root && stack.length === 0) fail('a second root element')
      const node: XmlNode = { name, children: [], text: '' }
      stack.at(-1)?.children.push(node)
      root ??= node
      if (source[end - 1] !== '/') stack.push(node)
      at = end + 1
    }
  }
  if (!root) fail('no root element')
  if (stack.length > 0) fail(`<${stack.at(-1)?.name}> is not closed`)
  return root as XmlNode
}

/** The local name, without a namespace prefix. */
const localName = (name: string): string => name.slice(name.indexOf(':') + 1)

export const childNode = (node: XmlNode, name: string): XmlNode | undefined =>
  node.children.find((child) => localName(child.name) === name)

export const childNodes = (node: XmlNode, name: string): XmlNode[] =>
  node.children.filter((child) => localName(child.name) === name)

export const childText = (node: XmlNode, name: string): string | undefined => childNode(node, name)?.text
