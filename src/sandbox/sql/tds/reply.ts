/** Turns a handler's Reply (or error) into the token stream of one response message. */
import { encodeResultSet } from './result-set.js'
import {
  DoneStatus,
  doneToken,
  errorToken,
  infoToken,
  returnStatusToken,
  returnValueToken,
} from './tokens.js'
import type { Reply } from './types.js'
import { SqlServerError } from './types.js'

/** A batch ends each statement with DONE; an RPC with DONEINPROC, then RETURNSTATUS and DONEPROC. */
export type RequestKind = 'batch' | 'rpc'

export function encodeReply(reply: Reply, kind: RequestKind, serverName: string): Buffer {
  const statementDone = kind === 'batch' ? 'done' : 'doneInProc'
  const parts: Buffer[] = (reply.infoMessages ?? []).map((message) => infoToken(message, serverName))
  // mssql closes a recordset only on DONE/DONEINPROC, so every result set gets its own counted DONE
  for (const resultSet of reply.resultSets ?? []) {
    parts.push(
      encodeResultSet(resultSet),
      doneToken(statementDone, DoneStatus.more | DoneStatus.count, resultSet.rows.length),
    )
  }
  if (reply.rowsAffected !== undefined) {
    parts.push(doneToken(statementDone, DoneStatus.more | DoneStatus.count, reply.rowsAffected))
  }
  if (reply.error) return Buffer.concat([...parts, errorReply(reply.error, kind, serverName)])
  parts.push(
    ...(kind === 'batch'
      ? [doneToken('done', DoneStatus.final)]
      : [
          returnStatusToken(0),
          ...(reply.returnValues ?? []).map((r, i) => returnValueToken(i, r.name, r.value)),
          doneToken('doneProc', DoneStatus.final),
        ]),
  )
  return Buffer.concat(parts)
}

/** ERROR then a final DONE/DONEPROC with the error bit: mssql rejects with number, state and class set. */
export function errorReply(error: SqlServerError, kind: RequestKind, serverName: string): Buffer {
  return Buffer.concat([
    errorToken(error, serverName),
    doneToken(kind === 'batch' ? 'done' : 'doneProc', DoneStatus.error),
  ])
}

/** Anything but a SqlServerError is a handler bug; it still reaches the client as an error instead of a hang. */
export function asSqlServerError(error: unknown): SqlServerError {
  if (error instanceof SqlServerError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new SqlServerError(50000, `switchyard TDS: the handler failed: ${reason}`)
}
