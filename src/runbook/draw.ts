import { type Runbook, START_POINT } from './model.js'

export const GRAPH_FORMATS = ['mermaid', 'dot'] as const
export type GraphFormat = (typeof GRAPH_FORMATS)[number]

/**
 * Phases as clusters in order, `needs` as edges, a rollback point between phases, and the
 * point of no return and approvals marked. Node ids are generated, so any step id is safe; labels
 * are escaped per format, so any name is safe.
 */
export function drawGraph(runbook: Runbook, format: GraphFormat): string {
  return format === 'mermaid' ? drawMermaid(runbook) : drawDot(runbook)
}

/** A label is lines of plain text; each format escapes the text and writes its own line breaks. */
interface Labels {
  phase: (i: number) => string[]
  point: (id: string, afterNoReturn: boolean) => string[]
  step: (i: number, j: number) => string[]
}

/** A name is free text: its own line breaks become label lines, other control characters spaces. */
const textLines = (text: string | undefined): string[] =>
  text === undefined || text.trim() === ''
    ? []
    : text.split(/\r\n|\r|\n|\u2028|\u2029/).map((line) => line.replace(/[\p{Cc}]/gu, ' '))

function labels(runbook: Runbook): Labels {
  return {
    phase: (i) => {
      const phase = runbook.phases[i]
      if (!phase) return []
      const marks = [
        phase.approval ? 'approval required' : '',
        phase.pointOfNoReturn ? 'point of no return' : '',
      ]
      const extra = marks.filter(Boolean).join(', ')
      return [`phase ${phase.id}${extra ? ` (${extra})` : ''}`, ...textLines(phase.name)]
    },
    point: (id, afterNoReturn) => [
      `rollback point: ${id}`,
      ...(afterNoReturn ? ['past the point of no return: needs --force'] : []),
    ],
    step: (i, j) => {
      const step = runbook.phases[i]?.steps[j]
      if (!step) return []
      const flags = [
        step.if !== undefined ? 'conditional' : '',
        step.continueOnError ? 'continue on error' : '',
      ]
      const extra = flags.filter(Boolean).join(', ')
      return [step.id, ...textLines(step.name), step.uses, ...(extra ? [`(${extra})`] : [])]
    },
  }
}

/**
 * Mermaid labels are double-quoted. Characters that end the string, open markup, start an entity
 * code or a `%%{ }%%` directive become entity codes (`#` first, since every code starts with it).
 * Lines are joined with `<br/>`, which Mermaid draws as a line break.
 */
const mermaidLine = (s: string) =>
  s
    .replace(/#/g, '#35;')
    .replace(/&/g, '#amp;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/%/g, '#37;')

/**
 * Before parsing, Mermaid drops a `;` from any line that reads like `style ...:...#...;` or
 * `classDef ...:...#...;`, wherever on the line that is, which would break an entity code. Only a
 * label with an entity code has a `#`; in one, `:` becomes an entity code too.
 */
function mermaidText(lines: string[]): string {
  const text = lines.map(mermaidLine).join('<br/>')
  return `"${text.includes('#') ? text.replace(/:/g, '#58;') : text}"`
}

function drawMermaid(runbook: Runbook): string {
  const label = labels(runbook)
  const lines = ['flowchart TB', `  rp_start([${mermaidText(label.point(START_POINT, false))}])`]
  let pastNoReturn = false
  let previous = 'rp_start'
  runbook.phases.forEach((phase, i) => {
    lines.push(`  subgraph p${i}[${mermaidText(label.phase(i))}]`, '    direction TB')
    phase.steps.forEach((_, j) => {
      lines.push(`    p${i}s${j}[${mermaidText(label.step(i, j))}]`)
    })
    lines.push('  end')
    const order = new Map(phase.steps.map((s, j) => [s.id, j]))
    phase.steps.forEach((step, j) => {
      for (const need of step.needs) lines.push(`  p${i}s${order.get(need)} --> p${i}s${j}`)
    })
    pastNoReturn ||= phase.pointOfNoReturn
    const point = `rp_p${i}`
    lines.push(
      `  ${previous} --> p${i}`,
      `  p${i} --> ${point}([${mermaidText(label.point(phase.id, pastNoReturn))}])`,
    )
    if (phase.approval) lines.push(`  class p${i} approval`)
    if (phase.pointOfNoReturn) lines.push(`  class p${i} noreturn`)
    if (pastNoReturn) lines.push(`  class ${point} forced`)
    previous = point
  })
  lines.push(
    '  classDef approval stroke:#b58900,stroke-width:2px',
    '  classDef noreturn fill:#fde2e1,stroke:#c0392b,stroke-width:2px',
    '  classDef forced stroke:#c0392b,stroke-dasharray:4 2',
  )
  return `${lines.join('\n')}\n`
}

/**
 * A DOT quoted string. Backslashes are doubled so that a name never forms an escape such as `\N`
 * or `\l`; `&` becomes `&amp;` because Graphviz reads entities like `&lt;` in every label.
 */
const dotString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
const dotText = (lines: string[]) =>
  `"${lines.map((line) => line.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/&/g, '&amp;')).join('\\n')}"`

function drawDot(runbook: Runbook): string {
  const label = labels(runbook)
  const lines = [
    `digraph ${dotString(runbook.name)} {`,
    '  compound=true;',
    '  rankdir=TB;',
    '  node [shape=box, fontname="Helvetica"];',
    `  rp_start [label=${dotText(label.point(START_POINT, false))}, shape=cds];`,
  ]
  let pastNoReturn = false
  let previous = 'rp_start'
  runbook.phases.forEach((phase, i) => {
    const style = phase.pointOfNoReturn
      ? ' style=filled; fillcolor="#fde2e1"; color="#c0392b";'
      : phase.approval
        ? ' color="#b58900";'
        : ''
    lines.push(`  subgraph cluster_p${i} {`, `    label=${dotText(label.phase(i))};${style}`)
    phase.steps.forEach((_, j) => {
      lines.push(`    p${i}s${j} [label=${dotText(label.step(i, j))}];`)
    })
    lines.push('  }')
    const order = new Map(phase.steps.map((s, j) => [s.id, j]))
    phase.steps.forEach((step, j) => {
      for (const need of step.needs) lines.push(`  p${i}s${order.get(need)} -> p${i}s${j};`)
    })
    pastNoReturn ||= phase.pointOfNoReturn
    const point = `rp_p${i}`
    const pointStyle = pastNoReturn ? ', color="#c0392b", style=dashed' : ''
    lines.push(
      `  ${point} [label=${dotText(label.point(phase.id, pastNoReturn))}, shape=cds${pointStyle}];`,
      `  ${previous} -> p${i}s0 [lhead=cluster_p${i}];`,
      `  p${i}s${phase.steps.length - 1} -> ${point} [ltail=cluster_p${i}];`,
    )
    previous = point
  })
  lines.push('}')
  return `${lines.join('\n')}\n`
}

/** The graph as data (`graph --json`): phases in order, each step with what it needs, the rollback points. */
export function graphData(runbook: Runbook) {
  return {
    runbook: runbook.name,
    phases: runbook.phases.map((phase) => ({
      id: phase.id,
      ...(phase.name ? { name: phase.name } : {}),
      approval: phase.approval,
      pointOfNoReturn: phase.pointOfNoReturn,
      steps: phase.steps.map((step) => ({
        id: step.id,
        ...(step.name ? { name: step.name } : {}),
        uses: step.uses,
        needs: step.needs,
        conditional: step.if !== undefined,
        continueOnError: step.continueOnError,
      })),
    })),
    rollbackPoints: [START_POINT, ...runbook.phases.map((p) => p.id)],
  }
}
