import type { Block, Section } from './blocks.js'
import { escapeMarkdown as md } from './escape.js'

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.map(md).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(md).join(' | ')} |`),
  ]
}

function block(b: Block): string[] {
  switch (b.kind) {
    case 'facts':
      return table(['', ''], b.rows)
    case 'table':
      return b.rows.length === 0 ? ['(none)'] : table(b.head, b.rows)
    case 'list':
      return b.items.map((item) => `- ${md(item)}`)
    case 'text':
      return [md(b.text)]
    case 'subtitle':
      return [`### ${md(b.text)}`]
    case 'gantt':
    case 'curve':
      return []
  }
}

/** report.md: the same sections as the HTML, as Markdown tables and lists (charts are in the HTML). */
export function renderMarkdown(title: string, sections: Section[]): string {
  const lines = [`# ${md(title)}`, '']
  for (const section of sections) {
    lines.push(`## ${md(section.title)}`, '')
    for (const b of section.blocks) {
      const out = block(b)
      if (out.length > 0) lines.push(...out, '')
    }
  }
  return `${lines.join('\n').trimEnd()}\n`
}
