// `switchyard graph` output, read back by the real parsers: Graphviz itself (compiled to WebAssembly,
// @hpcc-js/wasm-graphviz) for DOT, and Mermaid's own flowchart parser (the mermaid package, on a
// jsdom window because Mermaid sanitizes labels with DOMPurify) for Mermaid. A parse error fails the
// test; the assertions are on what the parsers built, not on the text.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, describe, test } from 'node:test'
import { Graphviz } from '@hpcc-js/wasm-graphviz'
import { JSDOM } from 'jsdom'
import { loadRunbook } from '../src/runbook/load.ts'
import type { Runbook } from '../src/runbook/model.ts'

const root = join(import.meta.dirname, '..')
const examples = readdirSync(join(root, 'runbooks'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `runbooks/${f}`)

const dir = mkdtempSync(join(tmpdir(), 'switchyard-graph-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function switchyard(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/run.js', ...args], { cwd: root, encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

function draw(file: string, format: 'mermaid' | 'dot'): string {
  const { code, stdout, stderr } = switchyard('graph', file, '--format', format)
  assert.equal(code, 0, `graph ${file} --format ${format} exited ${code}:\n${stderr}`)
  return stdout
}

function model(file: string): Runbook {
  const { runbook, diagnostics } = loadRunbook({ file: resolve(root, file) })
  assert.ok(runbook, `${file} does not load: ${JSON.stringify(diagnostics)}`)
  return runbook
}

// ---------- the parsers, and what they built, in one shape for both formats ----------

const { window } = new JSDOM('')
Object.assign(globalThis, { window, document: window.document })
const mermaid = (await import('mermaid')).default
mermaid.initialize({ startOnLoad: false })
const graphviz = await Graphviz.load()

/** Text as a reader sees it: HTML entities decoded (Mermaid and Graphviz both decode them). */
function decodeEntities(html: string): string {
  const element = window.document.createElement('textarea')
  element.innerHTML = html
  return element.value
}

/** A label is its lines; marks are classes (Mermaid) or style, color and fillcolor (DOT). */
interface DrawnGroup {
  id: string
  label: string[]
  members: string[]
  marks: Set<string>
}
interface DrawnNode {
  label: string[]
  group: string | undefined
  marks: Set<string>
}
interface Drawn {
  /** Clusters (DOT) or subgraphs (Mermaid), in the order they were declared. */
  groups: DrawnGroup[]
  /** Every node that is not a group, by id. */
  nodes: Map<string, DrawnNode>
  edges: Array<{ from: string; to: string; attrs: Record<string, string> }>
}

interface MermaidDb {
  getSubGraphs: () => Array<{ id: string; title: string; nodes: string[]; classes: string[] }>
  getData: () => {
    nodes: Array<{ id: string; label?: string; isGroup: boolean; parentId?: string; cssClasses?: string }>
    edges: Array<{ start: string; end: string }>
  }
}

async function parseMermaid(text: string): Promise<Drawn> {
  // mermaid.parse throws on a syntax error; the diagram's db then holds what the parser built.
  const parsed = await mermaid.parse(text)
  assert.ok(parsed, 'mermaid.parse returned nothing')
  assert.equal(parsed.diagramType, 'flowchart-v2')
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text)
  const db = diagram.db as unknown as MermaidDb
  // Mermaid swaps entity codes (#quot;) for placeholders before parsing and back after drawing.
  const label = (raw = '') =>
    raw
      .split(/<br\s*\/?>/i)
      .map((line) => decodeEntities(line.replace(/ﬂ°°(\d+)¶ß/g, '&#$1;').replace(/ﬂ°(\w+)¶ß/g, '&$1;')))
  const marks = (classes: string[]) => new Set(classes.filter((c) => c && c !== 'default'))
  // Subgraphs in the order they were declared; nodes as the renderer gets them (getData).
  const drawn: Drawn = { groups: [], nodes: new Map(), edges: [] }
  for (const subgraph of db.getSubGraphs())
    drawn.groups.push({
      id: subgraph.id,
      label: label(subgraph.title),
      members: subgraph.nodes,
      marks: marks(subgraph.classes),
    })
  const data = db.getData()
  const groupIds = new Set(drawn.groups.map((g) => g.id))
  for (const node of data.nodes) {
    assert.equal(node.isGroup, groupIds.has(node.id), `mermaid: ${node.id} is a group iff a subgraph`)
    if (node.isGroup) continue
    drawn.nodes.set(node.id, {
      label: label(node.label),
      group: node.parentId,
      marks: marks((node.cssClasses ?? '').split(/\s+/)),
    })
  }
  drawn.edges = data.edges.map((e) => ({ from: e.start, to: e.end, attrs: {} }))
  return drawn
}

interface GraphvizJson {
  name: string
  directed: boolean
  compound?: string
  objects?: Array<Record<string, unknown> & { _gvid: number; name: string; nodes?: number[] }>
  edges?: Array<Record<string, unknown> & { tail: number; head: number }>
}

/** A Graphviz escString as drawn: `\n`, `\l`, `\r` break lines, `\\` is a backslash. */
function dotLabel(raw: unknown): string[] {
  assert.equal(typeof raw, 'string', 'a label is missing')
  const text = (raw as string).replace(/\\(.)/gs, (_, c: string) => {
    if ('nlr'.includes(c)) return '\n'
    if (c === '\\' || c === '"') return c
    return `<graphviz escape \\${c}>`
  })
  return text.split('\n').map(decodeEntities)
}

function parseDot(text: string): { name: string; drawn: Drawn; graph: GraphvizJson } {
  // Graphviz throws on a syntax error; json is its own parse, laid out, as data.
  const graph = JSON.parse(graphviz.layout(text, 'json', 'dot')) as GraphvizJson
  assert.equal(graph.directed, true)
  const objects = graph.objects ?? []
  objects.forEach((o, i) => {
    assert.equal(o._gvid, i)
  })
  const isCluster = (o: (typeof objects)[number]) => o.name.startsWith('cluster')
  const marks = (o: Record<string, unknown>) =>
    new Set(
      ['style', 'color', 'fillcolor']
        .filter((k) => typeof o[k] === 'string' && o[k] !== '')
        .map((k) => `${k}=${o[k]}`),
    )
  const drawn: Drawn = { groups: [], nodes: new Map(), edges: [] }
  const name = (gvid: number) => (objects[gvid] as { name: string }).name
  const clusters = objects.filter(isCluster)
  for (const cluster of clusters)
    drawn.groups.push({
      id: cluster.name,
      label: dotLabel(cluster.label),
      members: (cluster.nodes ?? []).map(name),
      marks: marks(cluster),
    })
  for (const node of objects.filter((o) => !isCluster(o)))
    drawn.nodes.set(node.name, {
      label: dotLabel(node.label),
      group: clusters.find((c) => c.nodes?.includes(node._gvid))?.name,
      marks: marks(node),
    })
  drawn.edges = (graph.edges ?? []).map((e) => ({
    from: name(e.tail),
    to: name(e.head),
    attrs: Object.fromEntries(
      Object.entries(e).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    ),
  }))
  return { name: graph.name, drawn, graph }
}

// ---------- what every drawing of a runbook must show ----------

const NO_RETURN_LINE = 'past the point of no return: needs --force'

/** A name as label lines: its own line breaks kept, other control characters drawn as spaces. */
const nameLines = (name: string | undefined) =>
  name === undefined || name.trim() === ''
    ? []
    : name.split(/\r\n|\r|\n|\u2028|\u2029/).map((l) => l.replace(/\p{Cc}/gu, ' '))

/** Lines the label of a step shows: its id, its name (if any), its type, then its flags. */
function stepLines(step: Runbook['phases'][number]['steps'][number]): string[] {
  const flags = [step.if !== undefined ? 'conditional' : '', step.continueOnError ? 'continue on error' : '']
  const extra = flags.filter(Boolean).join(', ')
  return [step.id, ...nameLines(step.name), step.uses, ...(extra ? [`(${extra})`] : [])]
}

function phaseTitle(phase: Runbook['phases'][number]): string {
  const marks = [phase.approval ? 'approval required' : '', phase.pointOfNoReturn ? 'point of no return' : '']
  const extra = marks.filter(Boolean).join(', ')
  return `phase ${phase.id}${extra ? ` (${extra})` : ''}`
}

/**
 * The structure both formats share. Returns, per phase, the node id of each step, and the node id
 * of each rollback point (start first), for the format-specific checks.
 */
function assertStructure(drawn: Drawn, runbook: Runbook, format: string) {
  const where = (what: string) => `${format}: ${what}`

  // One group per phase, in order, titled with the phase and its marks.
  assert.deepEqual(
    drawn.groups.map((g) => g.label[0]),
    runbook.phases.map(phaseTitle),
    where('one group per phase, in order'),
  )
  runbook.phases.forEach((phase, i) => {
    const label = drawn.groups[i]?.label.slice(1)
    assert.deepEqual(label, nameLines(phase.name), where(`phase ${phase.id} name`))
  })

  // One node per step, inside its phase's group, labelled id / name / type / flags.
  const stepNodes = runbook.phases.map((phase, i) => {
    const group = drawn.groups[i] as DrawnGroup
    assert.equal(group.members.length, phase.steps.length, where(`phase ${phase.id}: one node per step`))
    return phase.steps.map((step) => {
      const matches = [...drawn.nodes].filter(
        ([, node]) => node.label[0] === step.id && node.group === group.id,
      )
      assert.equal(matches.length, 1, where(`exactly one node for step ${step.id} in phase ${phase.id}`))
      const [id, node] = matches[0] as [string, DrawnNode]
      assert.deepEqual(node.label, stepLines(step), where(`label of step ${step.id}`))
      return id
    })
  })
  const stepCount = runbook.phases.reduce((n, p) => n + p.steps.length, 0)
  const inGroups = [...drawn.nodes.values()].filter((n) => n.group !== undefined)
  assert.equal(inGroups.length, stepCount, where('no node in a group but the steps'))

  // A rollback point for start and after each phase, and nothing else outside the groups.
  const ids = ['start', ...runbook.phases.map((p) => p.id)]
  const pointNodes = ids.map((id) => {
    const matches = [...drawn.nodes].filter(([, node]) => node.label[0] === `rollback point: ${id}`)
    assert.equal(matches.length, 1, where(`exactly one rollback point ${id}`))
    const [nodeId, node] = matches[0] as [string, DrawnNode]
    assert.equal(node.group, undefined, where(`rollback point ${id} stands outside the phases`))
    return nodeId
  })
  assert.equal(drawn.nodes.size - stepCount, pointNodes.length, where('no other nodes'))

  // Past the point of no return, every later rollback point says it needs --force.
  const firstNoReturn = runbook.phases.findIndex((p) => p.pointOfNoReturn)
  ids.forEach((id, k) => {
    const forced = firstNoReturn !== -1 && k - 1 >= firstNoReturn
    const label = drawn.nodes.get(pointNodes[k] as string)?.label
    assert.deepEqual(
      label,
      [`rollback point: ${id}`, ...(forced ? [NO_RETURN_LINE] : [])],
      where(`point ${id}`),
    )
  })

  // An edge for each `needs` entry, and no other edge between steps.
  const isStep = new Set(stepNodes.flat())
  const stepEdges = drawn.edges.filter((e) => isStep.has(e.from) && isStep.has(e.to))
  const expected = runbook.phases.flatMap((phase, i) => {
    const order = new Map(phase.steps.map((s, j) => [s.id, j]))
    const node = (j: number | undefined) => stepNodes[i]?.[j as number] as string
    return phase.steps.flatMap((step, j) =>
      step.needs.map((need) => `${node(order.get(need))} -> ${node(j)}`),
    )
  })
  assert.deepEqual(
    stepEdges.map((e) => `${e.from} -> ${e.to}`).sort(),
    expected.sort(),
    where('one edge per needs entry'),
  )
  // Besides those, one edge into each phase and one out of it, through the rollback points.
  assert.equal(drawn.edges.length, expected.length + 2 * runbook.phases.length, where('no other edges'))
  return { stepNodes, pointNodes, firstNoReturn }
}

function assertMermaid(drawn: Drawn, runbook: Runbook) {
  const { pointNodes, firstNoReturn } = assertStructure(drawn, runbook, 'mermaid')
  const edges = new Set(drawn.edges.map((e) => `${e.from} -> ${e.to}`))
  runbook.phases.forEach((phase, i) => {
    const group = drawn.groups[i] as DrawnGroup
    // start -> phase 1 -> its point -> phase 2 -> ...: the edges run to and from the subgraph.
    assert.ok(
      edges.has(`${pointNodes[i]} -> ${group.id}`),
      `mermaid: rollback point before phase ${phase.id}`,
    )
    assert.ok(
      edges.has(`${group.id} -> ${pointNodes[i + 1]}`),
      `mermaid: rollback point after phase ${phase.id}`,
    )
    assert.equal(group.marks.has('approval'), phase.approval, `mermaid: approval class on ${phase.id}`)
    assert.equal(group.marks.has('noreturn'), phase.pointOfNoReturn, `mermaid: noreturn class on ${phase.id}`)
  })
  pointNodes.forEach((id, k) => {
    const forced = firstNoReturn !== -1 && k - 1 >= firstNoReturn
    assert.equal(drawn.nodes.get(id)?.marks.has('forced'), forced, `mermaid: forced class on ${id}`)
  })
}

function assertDot(drawn: Drawn, runbook: Runbook) {
  const { stepNodes, pointNodes, firstNoReturn } = assertStructure(drawn, runbook, 'dot')
  runbook.phases.forEach((phase, i) => {
    const group = drawn.groups[i] as DrawnGroup
    const steps = stepNodes[i] as string[]
    // Edges into and out of a cluster are clipped to it (compound=true with lhead / ltail).
    const into = drawn.edges.filter((e) => e.from === pointNodes[i] && steps.includes(e.to))
    assert.equal(into.length, 1, `dot: one edge from the rollback point before phase ${phase.id}`)
    assert.equal(into[0]?.attrs.lhead, group.id)
    const out = drawn.edges.filter((e) => e.to === pointNodes[i + 1] && steps.includes(e.from))
    assert.equal(out.length, 1, `dot: one edge to the rollback point after phase ${phase.id}`)
    assert.equal(out[0]?.attrs.ltail, group.id)
    assert.equal(
      group.marks.has('style=filled'),
      phase.pointOfNoReturn,
      `dot: ${phase.id} filled iff no return`,
    )
    if (phase.approval && !phase.pointOfNoReturn)
      assert.ok(group.marks.has('color=#b58900'), `dot: approval colour on ${phase.id}`)
    if (!phase.approval && !phase.pointOfNoReturn)
      assert.equal(group.marks.size, 0, `dot: ${phase.id} unmarked`)
  })
  pointNodes.forEach((id, k) => {
    const forced = firstNoReturn !== -1 && k - 1 >= firstNoReturn
    assert.equal(drawn.nodes.get(id)?.marks.has('style=dashed'), forced, `dot: dashed rollback point ${id}`)
  })
}

// ---------- the tests ----------

describe('graph: the example runbooks parse as Mermaid and DOT', () => {
  assert.ok(examples.length > 0, 'no runbooks in runbooks/')
  for (const file of examples) {
    test(`${file} --format mermaid`, async () => {
      assertMermaid(await parseMermaid(draw(file, 'mermaid')), model(file))
    })

    test(`${file} --format dot`, () => {
      const runbook = model(file)
      const { name, graph, drawn } = parseDot(draw(file, 'dot'))
      assert.equal(name, runbook.name)
      assert.equal(graph.compound, 'true')
      assertDot(drawn, runbook)
    })
  }

  test('mermaid is the default format', () => {
    const file = examples[0] as string
    assert.equal(switchyard('graph', file).stdout, draw(file, 'mermaid'))
  })
})

/** Names that would end a quoted string, open markup, start an entity or directive, or escape. */
const TRICKY_NAMES = [
  'He said "stop" --> then <b>went</b>; {x} [y] (z) |p| end',
  'back\\slash \\N \\G \\n \\" trailing\\',
  '#quot; &amp; &lt; AT&T C# 100% 50%% done',
  '%%{init: {"theme": "dark"}}%% %% comment',
  'ünïcödé 日本語 🚀 — “quoted” ‘single’',
  'style:#1; classDef x fill:#f00; click a call b()',
  'line one\nline two\r\nline three',
  '`markdown` **bold** _x_ \tafter a tab, \u0007 a bell, \u0000 a NUL',
]

const STEP_IDS = ['end', 'graph', 'node', 'edge', 'a--b', 'x_-', 'digraph', 'class']

/** Written as JSON, which is YAML too, so that no YAML quoting stands between a name and the graph. */
const TRICKY = {
  version: 1,
  name: 'end',
  phases: [
    {
      id: 'subgraph',
      name: TRICKY_NAMES[0],
      steps: STEP_IDS.map((id, k) => ({
        id,
        name: TRICKY_NAMES[k],
        uses: 'noop',
        // A chain, one step needing two, and one needing a step listed after it.
        ...(k === 0 ? { needs: 'x_-' } : {}),
        ...(k > 0 && k < 5 ? { needs: [STEP_IDS[k - 1]] } : {}),
        ...(k === 7 ? { needs: ['graph', 'digraph'] } : {}),
      })),
    },
    {
      id: 'style',
      name: TRICKY_NAMES[2],
      approval: 'required',
      point_of_no_return: true,
      steps: [
        { id: 'click', name: TRICKY_NAMES[3], uses: 'noop', if: '${{ true }}', continue_on_error: true },
        { id: 'default', uses: 'noop' },
      ],
    },
    { id: 'strict', steps: [{ id: 'linkStyle', name: TRICKY_NAMES[4], uses: 'noop' }] },
  ],
}

describe('graph: any step id or name keeps the syntax valid', () => {
  const file = join(dir, 'tricky.yaml')
  writeFileSync(file, JSON.stringify(TRICKY, null, 2))

  test('the tricky runbook loads (so the drawing is what is being tested)', () => {
    const runbook = model(file)
    assert.equal(runbook.phases.length, 3)
    assert.deepEqual(
      runbook.phases[0]?.steps.map((s) => s.name),
      TRICKY_NAMES,
    )
  })

  test('Mermaid parses it, and every name reads back as written', async () => {
    const runbook = model(file)
    const drawn = await parseMermaid(draw(file, 'mermaid'))
    assertMermaid(drawn, runbook)
    assert.equal(drawn.groups[0]?.label[1], TRICKY_NAMES[0])
  })

  test('Graphviz parses it, and every name reads back as written', () => {
    const runbook = model(file)
    const { name, drawn } = parseDot(draw(file, 'dot'))
    assert.equal(name, 'end')
    assertDot(drawn, runbook)
    assert.deepEqual(drawn.groups[1]?.label, [
      'phase style (approval required, point of no return)',
      TRICKY_NAMES[2],
    ])
  })
})

describe('graph: bad input', () => {
  test('an invalid runbook exits 2 with the diagnostic on stderr and nothing on stdout', () => {
    const file = join(dir, 'invalid.yaml')
    writeFileSync(
      file,
      'version: 1\nname: broken\nphases:\n  - id: one\n    steps:\n      - id: a\n        uses: exce\n',
    )
    for (const format of ['mermaid', 'dot']) {
      const { code, stdout, stderr } = switchyard('graph', file, '--format', format)
      assert.equal(code, 2, format)
      assert.equal(stdout, '', format)
      assert.match(stderr, /invalid\.yaml:7:\d+ error: unknown step type 'exce'/)
      assert.match(stderr, /did you mean 'exec'/)
    }
  })

  test('--format svg is refused with exit 2, naming the --format flag', () => {
    const { code, stdout, stderr } = switchyard('graph', examples[0] as string, '--format', 'svg')
    assert.equal(code, 2)
    assert.equal(stdout, '')
    assert.match(stderr, /--format/)
    assert.match(stderr, /mermaid, dot/)
  })
})
