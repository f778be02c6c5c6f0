import { notModelled } from './errors.js'
import { compileExpression } from './query/expressions.js'
import type { Binder, Env } from './query/types.js'
import { callSystemProcedure, findSystemProcedure } from './system-procedures.js'
import { type AstNode, identText, objectNameParts, variant } from './tsql/parser.js'

/**
 * EXEC msdb.dbo.sp_add_job @job_name = N'…', …, @job_id = @id OUTPUT: a system procedure with named arguments. The
 * parser marks OUTPUT on the statement, which T-SQL allows only on the last argument written that way here.
 */
export function compileProcedureCall(
  body: AstNode,
  binder: Binder,
  database: string,
): ((env: Env) => void) | undefined {
  const found = findSystemProcedure(objectNameParts(body.name), database)
  if (!found) return undefined
  const written = ((body.parameters as unknown[]) ?? []).map((parameter) => {
    const [kind, op] = variant(parameter)
    if (kind !== 'BinaryOp') throw notModelled(`positional arguments to ${found.name}`)
    const { left, right } = op as { left: unknown; right: unknown }
    return {
      name: identText(variant(left)[1]).replace(/^@/, '').toLowerCase(),
      right,
      value: compileExpression(right, binder),
    }
  })
  const last = written.at(-1)
  const output = body.output === true && last ? identText(variant(last.right)[1]).toLowerCase() : undefined
  if (output !== undefined && !output.startsWith('@'))
    throw notModelled('OUTPUT on a value that is not a variable')
  return (env) => {
    const args = new Map(written.map((w) => [w.name, w.value.evaluate([], env)]))
    if (output !== undefined && last) args.delete(last.name)
    const result = callSystemProcedure(found, env.instance, env.login, env.world.now(), args)
    if (output !== undefined) env.variables.set(output, result)
  }
}
