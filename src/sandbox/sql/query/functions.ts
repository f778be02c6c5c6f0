import { notModelled, unknownFunction } from '../errors.js'
import { type AstNode, objectNameParts, variant } from '../tsql/parser.js'
import { loginProperty } from './login-property.js'
import { databaseId, databaseName, hasServerPermission, serverProperty } from './server-functions.js'
import type { Binder, Compiled, Env, Tuple, ValueType } from './types.js'
import { asText, compare, convert } from './values.js'

type CompileExpression = (node: unknown, binder: Binder) => Compiled

const INT: ValueType = { type: 'int' }
const TEXT: ValueType = { type: 'nvarchar' }
const DATE: ValueType = { type: 'datetime2' }

/** The argument list of a call; `*` (COUNT(*)) comes back as the string '*'. */
function argumentsOf(node: AstNode): (unknown | '*')[] {
  const [kind, body] = variant(node.args)
  if (kind !== 'List') return []
  const list = ((body as { args?: unknown[] })?.args ?? []) as unknown[]
  return list.map((arg) => {
    const [argKind, argBody] = variant(arg)
    if (argKind !== 'Unnamed') throw notModelled('named function arguments')
    const [exprKind, expr] = variant(argBody)
    if (exprKind === 'Wildcard') return '*'
    return expr
  })
}

const DATE_PARTS: Record<string, number> = {
  millisecond: 1,
  ms: 1,
  second: 1000,
  ss: 1000,
  s: 1000,
  minute: 60_000,
  mi: 60_000,
  n: 60_000,
  hour: 3_600_000,
  hh: 3_600_000,
  day: 86_400_000,
  dd: 86_400_000,
  d: 86_400_000,
}

function datePart(node: unknown): number {
  const [kind, body] = variant(node)
  const name = kind === 'Identifier' ? String((body as { value: string }).value) : ''
  const ms = DATE_PARTS[name.toLowerCase()]
  if (ms === undefined) throw notModelled(`the date part ${name || kind}`)
  return ms
}

const AGGREGATES = new Set(['count', 'count_big', 'min', 'max', 'sum'])

function aggregate(
  name: string,
  args: (unknown | '*')[],
  binder: Binder,
  compile: CompileExpression,
): Compiled {
  const [arg] = args
  const inner =
    arg === '*' || arg === undefined ? undefined : compile(arg, { ...binder, bareColumns: undefined })
  const type: ValueType =
    name === 'count' ? INT : name === 'count_big' ? { type: 'bigint' } : (inner?.type ?? INT)
  return {
    type,
    evaluate: () => {
      throw notModelled(`${name.toUpperCase()} outside a select list`)
    },
    aggregate: (tuples: Tuple[], env: Env) => {
      const values = inner ? tuples.map((t) => inner.evaluate(t, env)).filter((v) => v !== null) : tuples
      if (name === 'count') return values.length
      if (name === 'count_big') return BigInt(values.length)
      if (values.length === 0) return null
      if (name === 'sum')
        return convert(
          values.reduce((s: number, v) => s + Number(v), 0),
          { type: 'float' },
          type,
        )
      const sign = name === 'max' ? 1 : -1
      return values.reduce((best, v) => ((compare(v, best, type, type) ?? 0) * sign > 0 ? v : best))
    },
  }
}

/** Built-in functions the steps and DBAs call; anything else is SQL Server's 195. */
export function compileFunction(node: AstNode, binder: Binder, compile: CompileExpression): Compiled {
  const parts = objectNameParts(node.name)
  const name = (parts.at(-1) ?? '').toLowerCase()
  const qualified = parts.join('.').toLowerCase()
  const args = argumentsOf(node)
  if (AGGREGATES.has(name) && parts.length === 1) return aggregate(name, args, binder, compile)
  const compiled = () =>
    args.map((a) => (a === '*' ? compile({ Value: { value: 'Null' } }, binder) : compile(a, binder)))
  const call = (
    type: ValueType,
    fn: (values: unknown[], env: Env) => unknown,
    list = compiled(),
  ): Compiled => ({
    type,
    evaluate: (tuple, env) =>
      fn(
        list.map((c) => c.evaluate(tuple, env)),
        env,
      ),
  })
  switch (qualified) {
    case 'serverproperty': {
      const [arg] = args
      const [kind, body] = variant(arg)
      const literal = kind === 'Value' ? variant((body as { value: unknown }).value)[1] : undefined
      if (typeof literal === 'string') {
        const property = serverProperty(literal)
        return { type: property.type, evaluate: (_t, env) => property.value(env.instance) }
      }
      return call(TEXT, ([p], env) => serverProperty(asText(p)).value(env.instance))
    }
    case 'is_srvrolemember':
      return call(INT, ([role], env) =>
        asText(role).toLowerCase() === 'sysadmin' ? (env.login.sysadmin ? 1 : 0) : env.login.sysadmin ? 1 : 0,
      )
    case 'has_perms_by_name':
      return call(INT, ([securable, _class, permission], env) =>
        securable === null
          ? hasServerPermission(env, asText(permission))
          : hasServerPermission(env, 'CONTROL SERVER'),
      )
    case 'db_id':
      return call({ type: 'smallint' }, ([db], env) => databaseId(env, db))
    case 'db_name':
      return call(TEXT, ([id], env) => databaseName(env, id))
    case 'loginproperty':
      return loginProperty(args, binder, compile)
    case 'suser_sname':
    case 'suser_name':
    case 'original_login':
    case 'system_user':
      return call(TEXT, (_v, env) => env.loginName)
    case 'host_name':
      return call(TEXT, () => 'switchyard-client')
    case 'app_name':
      return call(TEXT, (_v, env) => env.appName)
    case 'isnull':
    case 'coalesce': {
      const list = compiled()
      const type = list[0]?.type ?? INT
      return call(
        type,
        (values) => {
          const hit = values.find((v) => v !== null && v !== undefined)
          return hit === undefined ? null : convert(hit, list[values.indexOf(hit)]?.type ?? type, type)
        },
        list,
      )
    }
    case 'nullif': {
      const list = compiled()
      const [a, b] = list
      return call(
        a?.type ?? INT,
        ([x, y]) => (compare(x, y, a?.type ?? INT, b?.type ?? INT) === 0 ? null : x),
        list,
      )
    }
    case 'sysutcdatetime':
    case 'getutcdate':
    case 'sysdatetime':
    case 'getdate':
    case 'current_timestamp':
      return call(DATE, (_v, env) => new Date(env.world.now()))
    case 'dateadd': {
      const [part, n, date] = args
      const unit = datePart(part)
      const amount = compile(n, binder)
      const base = compile(date, binder)
      return {
        type: DATE,
        evaluate: (tuple, env) => {
          const k = amount.evaluate(tuple, env)
          const d = base.evaluate(tuple, env)
          if (k === null || d === null) return null
          const from = d instanceof Date ? d : new Date(asText(d))
          return new Date(from.getTime() + Number(k) * unit)
        },
      }
    }
    case 'datediff': {
      const [part, start, end] = args
      const unit = datePart(part)
      const a = compile(start, binder)
      const b = compile(end, binder)
      return {
        type: INT,
        evaluate: (tuple, env) => {
          const x = a.evaluate(tuple, env)
          const y = b.evaluate(tuple, env)
          if (x === null || y === null) return null
          const time = (v: unknown) => (v instanceof Date ? v : new Date(asText(v))).getTime()
          return Math.trunc((time(y) - time(x)) / unit)
        },
      }
    }
    case 'quotename':
      return call(TEXT, ([s]) => {
        if (s === null) return null
        const text = asText(s)
        return text.length > 128 ? null : `[${text.replace(/]/g, ']]')}]`
      })
    case 'len':
      return call(INT, ([s]) => (s === null ? null : asText(s).trimEnd().length))
    case 'upper':
      return call(TEXT, ([s]) => (s === null ? null : asText(s).toUpperCase()))
    case 'lower':
      return call(TEXT, ([s]) => (s === null ? null : asText(s).toLowerCase()))
    case 'sys.fn_hadr_is_primary_replica':
    case 'fn_hadr_is_primary_replica':
      return call({ type: 'bit' }, ([db], env) => {
        const copy = env.world.database(env.instance, asText(db))
        const group = copy?.ag ? env.world.group(copy.ag) : undefined
        return group
          ? env.world.primaryIn(group)?.server.toLowerCase() === env.instance.name.toLowerCase()
          : false
      })
    default:
      throw unknownFunction(parts.join('.'))
  }
}
