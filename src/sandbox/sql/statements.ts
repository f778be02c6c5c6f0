import { catalogDatabases, majorVersion } from './catalog/index.js'
import { runDdl } from './ddl.js'
import { databaseMissing, mustDeclare, notModelled, raisedError, unknownProcedure } from './errors.js'
import { folderKey, folderOf } from './model.js'
import { compileProcedureCall } from './procedure-call.js'
import { compileExpression } from './query/expressions.js'
import { compileSelect } from './query/select.js'
import type { Binder, Env, ValueType } from './query/types.js'
import { asText, convert, dataType, parameterType } from './query/values.js'
import { type Parameter, type Reply, type ResultSet, SqlServerError } from './tds/index.js'
import { type BatchStatement, readBatch } from './tsql/batch.js'
import { type AstNode, identText, objectNameParts, variant } from './tsql/parser.js'

/** One statement, bound and ready: running it adds to the batch's reply. */
type Runnable = (env: Env, reply: Required<Pick<Reply, 'resultSets' | 'infoMessages'>>) => void

/** The database names resolve in while a batch compiles: USE changes it for the statements after it. */
interface CompileState {
  database: string
}

type Compile = (ast: AstNode, binder: Binder, state: CompileState) => Runnable

const CHANGED_DATABASE = (db: string) => `Changed database context to '${db}'.`

/** RAISERROR's printf: %s, %d and %i take the arguments in order. */
function formatMessage(template: string, args: unknown[]): string {
  let next = 0
  return template.replace(/%%|%[-+ 0#]*\d*(?:\.\d+)?[sdiu]/g, (spec) =>
    spec === '%%' ? '%' : asText(args[next++] ?? '(null)'),
  )
}

function compileRaiserror(body: AstNode, binder: Binder): Runnable {
  const message = compileExpression(body.message, binder)
  const severity = compileExpression(body.severity, binder)
  const state = compileExpression(body.state, binder)
  const args = ((body.arguments as unknown[]) ?? []).map((a) => compileExpression(a, binder))
  return (env, reply) => {
    const text = formatMessage(
      asText(message.evaluate([], env)),
      args.map((a) => a.evaluate([], env)),
    )
    const level = Number(severity.evaluate([], env))
    if (level <= 10) {
      reply.infoMessages.push(text)
      return
    }
    throw raisedError(text, level, Number(state.evaluate([], env)))
  }
}

function compileDeclare(body: AstNode, binder: Binder): Runnable {
  const runs = ((body.stmts as AstNode[]) ?? []).flatMap((declaration) =>
    ((declaration.names as unknown[]) ?? []).map((ident) => {
      const name = identText(ident).toLowerCase()
      const type: ValueType = dataType(declaration.data_type) ?? { type: 'nvarchar' }
      const [, initial] = variant(declaration.assignment)
      const value = initial === undefined ? undefined : compileExpression(initial, binder)
      binder.variables.set(name, type)
      return (env: Env) =>
        env.variables.set(name, value ? convert(value.evaluate([], env), value.type, type) : null)
    }),
  )
  return (env) => {
    for (const run of runs) run(env)
  }
}

function compileSet(body: unknown, binder: Binder): Runnable {
  const [kind, assignment] = variant(body)
  if (kind !== 'SingleAssignment') return () => {}
  const { variable, values } = assignment as { variable: unknown; values: unknown[] }
  const name = objectNameParts(variable).join('.').toLowerCase()
  const type = binder.variables.get(name)
  const value = compileExpression(values[0], binder)
  if (!type) throw mustDeclare(name.replace(/^@/, ''))
  return (env) => {
    env.variables.set(name, convert(value.evaluate([], env), value.type, type))
  }
}

/** master.dbo.xp_fileexist, as dbatools' Test-DbaPath reads it: one row, the file's and its folder's existence. */
function compileFileExists(body: AstNode, binder: Binder): Runnable {
  const [pathArgument] = (body.parameters as unknown[]) ?? []
  const path = compileExpression(pathArgument, binder)
  return (env, reply) => {
    const text = asText(path.evaluate([], env))
    const isFolder = env.instance.folders.has(folderKey(text))
    const isFile = catalogDatabases(env.instance).some((db) =>
      db.files.some((f) => f.physicalName.toLowerCase() === text.toLowerCase()),
    )
    reply.resultSets.push({
      columns: ['File Exists', 'File is a Directory', 'Parent Directory Exists'].map((name) => ({
        name,
        type: 'int' as const,
      })),
      rows: [[isFile ? 1 : 0, isFolder ? 1 : 0, env.instance.folders.has(folderOf(text)) ? 1 : 0]],
    })
  }
}

/**
 * EXEC sp_executesql N'…', N'@a int', @a = 1 and EXEC master.dbo.xp_fileexist @path from inside a batch; other
 * procedures are not there (2812).
 */
function compileExecute(body: AstNode, binder: Binder, run: typeof runStatements): Runnable {
  const name = objectNameParts(body.name).join('.')
  if (/^(master\.(dbo)?\.)?xp_fileexist$/i.test(name)) return compileFileExists(body, binder)
  if (!['sp_executesql', 'sys.sp_executesql'].includes(name.toLowerCase())) {
    return () => {
      throw unknownProcedure(name)
    }
  }
  const [statement, _declarations, ...assignments] = (body.parameters as unknown[]) ?? []
  const text = compileExpression(statement, binder)
  const bound = assignments.map((a) => {
    const [kind, op] = variant(a)
    if (kind !== 'BinaryOp') throw notModelled('positional sp_executesql parameters')
    const { left, right } = op as { left: unknown; right: unknown }
    return { name: identText(variant(left)[1]).replace(/^@/, ''), value: compileExpression(right, binder) }
  })
  return (env, reply) => {
    const params: Parameter[] = bound.map((b) => ({
      name: b.name,
      type: b.value.type.type,
      value: b.value.evaluate([], env),
    }))
    const inner = run(asText(text.evaluate([], env)), params, env)
    reply.resultSets.push(...(inner.resultSets ?? []))
    reply.infoMessages.push(...(inner.infoMessages ?? []))
    if (inner.error) throw inner.error
  }
}

const compileParsed =
  (run: typeof runStatements): Compile =>
  (ast, binder, state) => {
    const [kind, body] = variant(ast)
    switch (kind) {
      case 'Query': {
        const query = compileSelect(body as AstNode, binder, state.database)
        return (env, reply) => {
          reply.resultSets.push(query.run(env))
        }
      }
      case 'Set':
        return compileSet(body, binder)
      case 'Use': {
        const db = objectNameParts(variant(body)[1]).join('.')
        state.database = db
        return (env, reply) => {
          const found = catalogDatabases(env.instance).find((d) => d.name.toLowerCase() === db.toLowerCase())
          if (!found) throw databaseMissing(db)
          env.database = found.name
          reply.infoMessages.push(CHANGED_DATABASE(found.name))
        }
      }
      case 'StartTransaction':
        return (env) => {
          env.tranCount++
        }
      case 'Commit':
        return (env) => {
          if (env.tranCount === 0)
            throw new SqlServerError(
              3902,
              'The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.',
              1,
              16,
            )
          env.tranCount--
        }
      case 'Rollback':
        return (env) => {
          if (env.tranCount === 0)
            throw new SqlServerError(
              3903,
              'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.',
              1,
              16,
            )
          env.tranCount = 0
        }
      case 'RaisError':
        return compileRaiserror(body as AstNode, binder)
      case 'Print': {
        const message = compileExpression((body as AstNode).message, binder)
        return (env, reply) => {
          reply.infoMessages.push(asText(message.evaluate([], env)))
        }
      }
      case 'Declare':
        return compileDeclare(body as AstNode, binder)
      case 'Execute': {
        const procedure = compileProcedureCall(body as AstNode, binder, state.database)
        return procedure ?? compileExecute(body as AstNode, binder, run)
      }
      case 'Drop': {
        const drop = body as AstNode
        if (drop.object_type !== 'Database')
          throw notModelled(`DROP ${String(drop.object_type).toUpperCase()}`)
        const names = (drop.names as unknown[]).map((n) => objectNameParts(n).join('.'))
        return (env) => {
          for (const name of names) env.world.dropDatabase(env.instance, name)
        }
      }
      default:
        throw notModelled(`the ${kind} statement`)
    }
  }

function compileStatement(
  statement: BatchStatement,
  binder: Binder,
  state: CompileState,
  run: typeof runStatements,
): Runnable {
  if (statement.kind === 'parsed') return compileParsed(run)(statement.ast, binder, state)
  return (env, reply) => {
    const params = new Map([...env.variables].map(([k, v]) => [k.replace(/^@/, ''), v]))
    const result = runDdl(env.world, env.instance, env.login, statement.text, params)
    reply.infoMessages.push(...(result.infoMessages ?? []))
  }
}

/** What a statement is, for the sandbox's request counts: the view a SELECT reads first, else its first two words. */
export function statementKind(sql: string): string {
  const from = /\bFROM\s+([\w.[\]]+)/i.exec(sql)?.[1]
  if (/^\s*SELECT\b/i.test(sql.replace(/^\s*(--[^\n]*\n\s*)*/, '')) && from)
    return `SELECT ${from.toLowerCase()}`
  return sql.trim().split(/\s+/, 2).join(' ').toUpperCase()
}

/**
 * Runs a batch as SQL Server does: the whole batch is parsed (102) and every statement bound (207, 208, 137) before
 * the first one runs; then statements run in order and an error stops the batch with what came before it sent.
 */
export function runStatements(sql: string, params: Parameter[], env: Env): Reply {
  const statements = readBatch(sql)
  for (const p of params) env.variables.set(`@${p.name.toLowerCase()}`, p.value)
  const binder: Binder = {
    sources: [],
    variables: new Map(params.map((p) => [`@${p.name.toLowerCase()}`, parameterType(p.type)])),
    major: majorVersion(env.instance),
  }
  const state = { database: env.database }
  const runnables = statements.map((s) => compileStatement(s, binder, state, runStatements))
  const reply = { resultSets: [] as ResultSet[], infoMessages: [] as string[] }
  for (const run of runnables) {
    try {
      run(env, reply)
    } catch (error) {
      if (!(error instanceof SqlServerError)) throw error
      return { ...reply, error }
    }
  }
  return reply
}
