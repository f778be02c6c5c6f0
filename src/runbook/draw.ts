import { type Runbook, START_POINT } from './model.js'

export const GRAPH_FORMATS = ['mermaid', 'dot'] as const
export type GraphFormat = (typeof GRAPH_FORMATS)[number]

/**
 * Phases as clusters in order, `needs` as edges, a rollback point between phases, and the
 * point of no return and approvals marked. Node ids are generated, so any step id is safe.
 */
export function drawGraph(runbook: Runbook, format: GraphFormat): string {
  return format === 'mermaid' ? drawMermaid(runbook) : drawDot(runbook)
}

interface Labels {
  phase: (i: number) => string
  point: (id: string, afterNoReturn: boolean) => string
  step: (i: number, j: number) => string
}

function labels(runbook: Runbook, newline: string): Labels {
  return {
    phase: (i) => {
      const phase = runbook.phases[i]
      if (!phase) return ''
      const marks = [
        phase.approval ? 'approval required' : '',
        phase.pointOfNoReturn ? 'point of no return' : '',
      ]
      const extra = marks.filter(Boolean).join(', ')
      return `phase ${phase.id}${extra ? ` (${extra})` : ''}`
    },
    point: (id, afterNoReturn) =>
      `rollback point: ${id}${afterNoReturn ? `${newline}past the point of no return: needs --force` : ''}`,
    step: (i, j) => {
      const step = runbook.phases[i]?.steps[j]
      if (!step) return ''
      const flags = [
        step.if !== undefined ? 'conditional' : '',
        step.continueOnError ? 'continue on error' : '',
      ]
      const extra = flags.filter(Boolean).join(', ')
      return `${step.id}${newline}${step.uses}${extra ? `${newline}(${extra})` : ''}`
    },
  }
}

/** Mermaid labels are double-quoted; quotes and angle brackets become entity codes. */
const mermaidText = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')

function drawMermaid(runbook: Runbook): string {
  const label = labels(runbook, '<br/>')
  const lines = ['flowchart TB', `  rp_start(["${mermaidText(label.point(START_POINT, false))}"])`]
  let pastNoReturn = false
  let previous = 'rp_start'
  runbook.phases.forEach((phase, i) => {
    lines.push(`  subgraph p${i}["${mermaidText(label.phase(i))}"]`, '    direction TB')
    phase.steps.forEach((_, j) => {
      lines.push(`    p${i}s${j}["${mermaidText(label.step(i, j))}"]`)
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
      `  p${i} --> ${point}(["${mermaidText(label.point(phase.id, pastNoReturn))}"])`,
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

const dotText = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`

function drawDot(runbook: Runbook): string {
  const label = labels(runbook, '\n')
  const lines = [
    `digraph ${dotText(runbook.name)} {`,
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
