import { type CatalogView, columnsOf, findView, viewExists } from '../catalog/index.js'
import { invalidObject, notInAggregate, notModelled, parametersNotSupplied } from '../errors.js'
import type { Column, ResultSet } from '../tds/index.js'
import { type AstNode, identText, objectNameParts, variant } from '../tsql/parser.js'
import { compileExpression, passes } from './expressions.js'
import type { Binder, Compiled, Env, Source, Tuple } from './types.js'
import { compare } from './values.js'

/** How one FROM item joins the ones before it. */
interface JoinStep {
  source: Source
  kind: 'first' | 'inner' | 'left' | 'cross' | 'crossApply' | 'outerApply'
  on?: Compiled
  args: Compiled[]
}

interface OutputColumn {
  column: Column
  value: Compiled
}

export interface CompiledQuery {
  run(env: Env): ResultSet
}

function tableSource(
  relation: unknown,
  binder: Binder,
  database: string,
): { source: Source; args: unknown[] | undefined } {
  const [kind, body] = variant(relation)
  if (kind !== 'Table') throw notModelled(`${kind} in FROM (derived tables and table constructors)`)
  const table = body as AstNode
  const parts = objectNameParts(table.name)
  const written = parts.join('.')
  const view: CatalogView | undefined = findView(parts, database)
  if (!view || !viewExists(view, binder.major)) throw invalidObject(written)
  const alias = (table.alias as { name?: unknown } | null | undefined)?.name
  const args = (table.args as { args?: unknown[] } | null | undefined)?.args
  if (view.arity && !args) throw parametersNotSupplied(view.name)
  if (!view.arity && args) throw notModelled(`arguments to ${view.name}, which is not a function`)
  return {
    source: {
      alias: alias ? identText(alias) : (parts.at(-1) ?? written),
      written,
      view,
      columns: columnsOf(view, binder.major),
    },
    args,
  }
}

function joinKind(operator: unknown): { kind: JoinStep['kind']; on?: unknown } {
  const [kind, body] = variant(operator)
  const constraint = variant(body)
  const on = constraint[0] === 'On' ? constraint[1] : undefined
  switch (kind) {
    case 'Join':
    case 'Inner':
      return { kind: 'inner', on }
    case 'Left':
    case 'LeftOuter':
      return { kind: 'left', on }
    case 'CrossJoin':
      return { kind: 'cross' }
    case 'CrossApply':
      return { kind: 'crossApply' }
    case 'OuterApply':
      return { kind: 'outerApply' }
    default:
      throw notModelled(`${kind} joins`)
  }
}

function compileFrom(from: unknown[], binder: Binder, database: string): JoinStep[] {
  const steps: JoinStep[] = []
  const compileArgs = (args: unknown[] | undefined) =>
    (args ?? []).map((arg) => {
      const [, expr] = variant(variant(arg)[1])
      return compileExpression(expr, binder)
    })
  for (const [i, item] of (from as { relation: unknown; joins?: unknown[] }[]).entries()) {
    const first = tableSource(item.relation, binder, database)
    binder.sources.push(first.source)
    steps.push({ source: first.source, kind: i === 0 ? 'first' : 'cross', args: compileArgs(first.args) })
    for (const join of (item.joins ?? []) as { relation: unknown; join_operator: unknown }[]) {
      const { kind, on } = joinKind(join.join_operator)
      const next = tableSource(join.relation, binder, database)
      // APPLY arguments see the sources to their left; ON sees both sides
      const args = compileArgs(next.args)
      binder.sources.push(next.source)
      steps.push({
        source: next.source,
        kind,
        args,
        on: on === undefined ? undefined : compileExpression(on, binder),
      })
    }
  }
  return steps
}

function joinRows(steps: JoinStep[], env: Env): Tuple[] {
  let tuples: Tuple[] = [[]]
  const scan = (step: JoinStep, tuple: Tuple) =>
    step.source.view.rows(
      env,
      step.args.map((a) => a.evaluate(tuple, env)),
    )
  for (const step of steps) {
    const next: Tuple[] = []
    const fixedRows = step.args.length === 0 ? scan(step, []) : undefined
    for (const tuple of tuples) {
      const rows = fixedRows ?? scan(step, tuple)
      let matched = false
      for (const row of rows) {
        const candidate = [...tuple, row]
        if (step.on && !passes(step.on, candidate, env)) continue
        matched = true
        next.push(candidate)
      }
      if (!matched && (step.kind === 'left' || step.kind === 'outerApply')) next.push([...tuple, null])
    }
    tuples = next
  }
  return tuples
}

function outputName(item: [string, unknown]): string {
  const [kind, body] = item
  if (kind === 'ExprWithAlias') return identText((body as { alias: unknown }).alias)
  const [exprKind, expr] = variant(body)
  if (exprKind === 'Identifier') {
    const name = identText(expr)
    return name.startsWith('@') ? '' : name
  }
  if (exprKind === 'CompoundIdentifier') return identText((expr as unknown[]).at(-1))
  return ''
}

function compileProjection(projection: unknown[], binder: Binder): OutputColumn[] {
  const out: OutputColumn[] = []
  for (const item of projection) {
    const [kind, body] = variant(item)
    if (kind === 'Wildcard' || kind === 'QualifiedWildcard') {
      const qualifier =
        kind === 'QualifiedWildcard'
          ? objectNameParts(variant((body as unknown[])[0])[1] ?? (body as unknown[])[0])
          : []
      const wanted = qualifier.at(-1)?.toLowerCase()
      const sources = binder.sources.filter((s) => wanted === undefined || s.alias.toLowerCase() === wanted)
      if (wanted !== undefined && sources.length === 0) throw invalidObject(qualifier.join('.'))
      if (binder.sources.length === 0) throw notModelled('SELECT * without FROM')
      for (const source of sources) {
        const index = binder.sources.indexOf(source)
        for (const c of source.columns)
          out.push({
            column: { name: c.name, type: c.type, precision: c.precision, scale: c.scale },
            value: { type: c, evaluate: (tuple) => tuple[index]?.[c.name] ?? null },
          })
      }
      continue
    }
    const expr = kind === 'ExprWithAlias' ? (body as { expr: unknown }).expr : body
    const value = compileExpression(expr, binder)
    const { type, precision, scale } = value.type
    out.push({ column: { name: outputName([kind, body]), type, precision, scale }, value })
  }
  return out
}

interface OrderKey {
  value: Compiled | number
  descending: boolean
}

function compileOrderBy(orderBy: unknown, binder: Binder, output: OutputColumn[]): OrderKey[] {
  const [, body] = variant((orderBy as { kind?: unknown } | undefined)?.kind)
  return ((body as { expr: unknown; options?: { asc?: boolean } }[] | undefined) ?? []).map((item) => {
    const descending = item.options?.asc === false
    const [kind, expr] = variant(item.expr)
    if (kind === 'Value') {
      const [valueKind, number] = variant((expr as { value: unknown }).value)
      if (valueKind === 'Number') return { value: Number((number as [string])[0]) - 1, descending }
    }
    if (kind === 'Identifier') {
      const name = identText(expr).toLowerCase()
      const position = output.findIndex((o) => o.column.name.toLowerCase() === name)
      if (position !== -1) return { value: position, descending }
    }
    return { value: compileExpression(item.expr, binder), descending }
  })
}

/** SELECT … FROM … JOIN/APPLY … WHERE … ORDER BY, TOP, DISTINCT, COUNT/MIN/MAX/SUM without GROUP BY. */
export function compileSelect(
  query: AstNode,
  base: Omit<Binder, 'sources'>,
  database: string,
): CompiledQuery {
  const [bodyKind, select] = variant(query.body)
  if (bodyKind !== 'Select') throw notModelled(`${bodyKind} queries (UNION, VALUES)`)
  const s = select as AstNode
  const groupBy = variant(s.group_by)[1] as unknown[] | undefined
  if ((groupBy?.[0] as unknown[] | undefined)?.length || s.having) throw notModelled('GROUP BY and HAVING')
  const binder: Binder = { ...base, sources: [], bareColumns: [] }
  const steps = compileFrom((s.from as unknown[]) ?? [], binder, database)
  const where = s.selection ? compileExpression(s.selection, binder) : undefined
  const bare = binder.bareColumns ?? []
  bare.length = 0
  const output = compileProjection((s.projection as unknown[]) ?? [], binder)
  const aggregated = output.some((o) => o.value.aggregate)
  if (aggregated && bare.length > 0) throw notInAggregate(bare[0] as string)
  const order = compileOrderBy(query.order_by, binder, output)
  const [topKind, topBody] = variant((s.top as { quantity?: unknown } | undefined)?.quantity)
  const top =
    topKind === 'Constant'
      ? Number(topBody)
      : topKind === 'Expr'
        ? compileExpression(topBody, binder)
        : undefined
  const distinct = s.distinct !== undefined && s.distinct !== null
  return {
    run(env) {
      const tuples = joinRows(steps, env).filter((tuple) => passes(where, tuple, env))
      let rows: { values: unknown[]; keys: unknown[] }[]
      if (aggregated) {
        rows = [
          {
            values: output.map((o) => o.value.aggregate?.(tuples, env) ?? o.value.evaluate([], env)),
            keys: [],
          },
        ]
      } else {
        rows = tuples.map((tuple) => {
          const values = output.map((o) => o.value.evaluate(tuple, env))
          const keys = order.map((k) =>
            typeof k.value === 'number' ? values[k.value] : k.value.evaluate(tuple, env),
          )
          return { values, keys }
        })
      }
      if (order.length > 0)
        rows.sort((a, b) => {
          for (const [i, key] of order.entries()) {
            const type =
              typeof key.value === 'number'
                ? (output[key.value]?.value.type ?? { type: 'int' })
                : key.value.type
            const x = a.keys[i]
            const y = b.keys[i]
            // NULL sorts first ascending, as on SQL Server
            const c =
              x === null || x === undefined
                ? y === null || y === undefined
                  ? 0
                  : -1
                : y === null || y === undefined
                  ? 1
                  : (compare(x, y, type, type) ?? 0)
            if (c !== 0) return key.descending ? -c : c
          }
          return 0
        })
      let values = rows.map((r) => r.values)
      if (distinct) {
        const seen = new Set<string>()
        values = values.filter((v) => {
          const key = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
          if (seen.has(key)) return false
          seen.add(key)
          return true
        })
      }
      const limit =
        top === undefined ? undefined : typeof top === 'number' ? top : Number(top.evaluate([], env))
      if (limit !== undefined) values = values.slice(0, limit)
      return { columns: output.map((o) => o.column), rows: values }
    },
  }
}
