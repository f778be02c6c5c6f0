/** What a section holds; each renderer lays the same blocks out in its own format. Cells are plain text. */
export type Block =
  | { kind: 'facts'; rows: Array<[string, string]> }
  | { kind: 'table'; head: string[]; rows: string[][]; tone?: Array<string | undefined> }
  | { kind: 'list'; items: string[] }
  | { kind: 'text'; text: string }
  | { kind: 'subtitle'; text: string }
  /** The Gantt (HTML only: Markdown has the timeline table beside it). */
  | { kind: 'gantt' }
  /** The request curve (HTML only; Markdown has the buckets' table). */
  | { kind: 'curve' }

export interface Section {
  id: string
  title: string
  blocks: Block[]
}
