/** Turns a handler's Reply (or error) into the token stream of one response message. */
import { encodeResultSet } from './result-set.js'
import {
  DoneStatus,
  doneToken,
  errorToken,
  infoToken,
  returnStatusToken,
  returnValueToken,
  TDS_7_4_FEATURES,
  type TdsFeatures,
} from './tokens.js'
import type { Reply, ResultSet } from './types.js'
import { SqlServerError } from './types.js'

/** A batch ends each statement with DONE; an RPC with DONEINPROC, then RETURNSTATUS and DONEPROC. */
export type RequestKind = 'batch' | 'rpc'

/** Before TDS 7.3 SQL Server sends date and time values as nvarchar text: so does the sandbox. */
function forClient(resultSet: ResultSet, features: TdsFeatures): ResultSet {
  if (features.dateTime2 || !resultSet.columns.some((c) => c.type === 'datetime2')) return resultSet
  const dates = resultSet.columns.map((c) => c.type === 'datetime2')
  return {
    columns: resultSet.columns.map((c) => (c.type === 'datetime2' ? { name: c.name, type: 'nvarchar' } : c)),
    rows: resultSet.rows.map((row) =>
      row.map((value, i) =>
        dates[i] && value instanceof Date ? value.toISOString().replace('T', ' ').replace('Z', '') : value,
      ),
    ),
  }
}

export function encodeReply(
  reply: Reply,
  kind: RequestKind,
  serverName: string,
  features: TdsFeatures = TDS_7_4_FEATURES,
): Buffer {
  const statementDone = kind === 'batch' ? 'done' : 'doneInProc'
  const parts: Buffer[] = (reply.infoMessages ?? []).map((message) => infoToken(message, serverName))
  // mssql closes a recordset only on DONE/DONEINPROC, so every result set gets its own counted DONE
  for (const resultSet of reply.resultSets ?? []) {
    parts.push(
      encodeResultSet(forClient(resultSet, features), features.wideRowCount ? 4 : 2),
      doneToken(statementDone, DoneStatus.more | DoneStatus.count, resultSet.rows.length, features),
    )
  }
  if (reply.rowsAffected !== undefined) {
    parts.push(doneToken(statementDone, DoneStatus.more | DoneStatus.count, reply.rowsAffected, features))
  }
  if (reply.error) return Buffer.concat([...parts, errorReply(reply.error, kind, serverName, features)])
  parts.push(
    ...(kind === 'batch'
      ? [doneToken('done', DoneStatus.final, 0, features)]
      : [
          returnStatusToken(0),
          ...(reply.returnValues ?? []).map((r, i) => returnValueToken(i, r.name, r.value)),
          doneToken('doneProc', DoneStatus.final, 0, features),
        ]),
  )
  return Buffer.concat(parts)
}

/**
 * ERROR (after the errors that precede it) then a final DONE/DONEPROC with the error bit: mssql rejects with the last
 * one's number, state and class, the others in precedingErrors.
 */
export function errorReply(
  error: SqlServerError,
  kind: RequestKind,
  serverName: string,
  features: TdsFeatures = TDS_7_4_FEATURES,
): Buffer {
  return Buffer.concat([
    ...error.preceding.map((e) => errorToken(e, serverName)),
    errorToken(error, serverName),
    doneToken(kind === 'batch' ? 'done' : 'doneProc', DoneStatus.error, 0, features),
  ])
}

/** Anything but a SqlServerError is a handler bug; it still reaches the client as an error instead of a hang. */
export function asSqlServerError(error: unknown): SqlServerError {
  if (error instanceof SqlServerError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new SqlServerError(50000, `switchyard TDS: the handler failed: ${reason}`)
}
