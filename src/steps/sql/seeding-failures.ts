/** sys.dm_hadr_automatic_seeding.failure_state reasons (§3); the hundreds digit says which side failed. */
const REASONS: Record<number, string> = {
  0: 'Internal Error',
  1: 'User Cancellation',
  2: 'SQL Error',
  3: 'Request Denied',
  4: 'Thread Abort',
  5: 'Primary Failure',
  6: 'Transport',
  7: 'Transport Replica',
  8: 'Check If Seeding Needed',
  9: 'Send Database File Info',
  10: 'Create Callback',
  11: 'Create Operation',
  12: 'Create VDI Client',
  13: 'Open VDI Client',
  14: 'Create USC Session',
  15: 'Seeding',
  16: 'Restore String Creation',
  17: 'Database ID Lookup',
  18: 'Create Async Task',
  19: 'Create Timeout Task',
  20: 'Async Task Failure',
  21: 'Seeding Check Message Timeout',
  22: 'File Message Timeout',
  23: 'Database With Name Already Exists',
  24: 'Secondary Catchup Timeout',
  25: 'Secondary Restore Stream Ready Timeout',
}

export interface SeedFailure {
  side: 'source' | 'target' | undefined
  reason: number
  /** "Transport (target side), SQL Server error 10054" */
  description: string
  retry: boolean
  hint: string | undefined
}

/** Transport and timeouts clear up on a new try; a name clash, a denial or a cancel do not. */
const RETRYABLE = new Set([2, 4, 5, 6, 7, 15, 20, 21, 22, 24, 25])

const HINTS: Record<number, string> = {
  1: 'an operator cancelled the seed',
  3: 'the replica refused: run ALTER AVAILABILITY GROUP ... GRANT CREATE ANY DATABASE on it',
  23: 'a database of that name is already on the replica: drop the stale RESTORING copy there, then run again',
}

export function describeSeedFailure(
  state: number | null,
  desc: string | null,
  errorCode: number | null,
): SeedFailure {
  const value = state ?? 0
  const side = value >= 200 ? 'target' : value >= 100 ? 'source' : undefined
  const reason = value % 100
  const name = desc?.trim() || REASONS[reason] || `failure state ${value}`
  const description = `${name}${side ? ` (${side} side)` : ''}${errorCode ? `, SQL Server error ${errorCode}` : ''}`
  return { side, reason, description, retry: RETRYABLE.has(reason), hint: HINTS[reason] }
}
