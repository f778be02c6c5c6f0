import { SqlServerError } from './tds/index.js'

/**
 * The errors the sandbox raises, with SQL Server's numbers, severities and message texts (as sys.messages words them,
 * where we know the text). Numbers marked "stand-in" are plausible but unverified against a live server.
 * 102, 137, 195, 207, 208, 209, 4060 and 4104: text and severity checked against Microsoft's "Database engine events
 * and errors" pages on 2026-12-04 (the pages give no state).
 */

export const loginFailed = (user: string) =>
  new SqlServerError(18456, `Login failed for user '${user}'.`, 1, 14)

export const syntaxError = (near: string) =>
  new SqlServerError(102, `Incorrect syntax near '${near}'.`, 1, 15)

export const invalidObject = (name: string) =>
  new SqlServerError(208, `Invalid object name '${name}'.`, 1, 16)

export const mustDeclare = (variable: string) =>
  new SqlServerError(137, `Must declare the scalar variable "@${variable}".`, 1, 15)

/** 15151: the generic "does not exist or you do not have permission" (ALTER on a missing AG, replica, listener). */
export const cannotFind = (verb: 'alter' | 'find', kind: string, name: string) =>
  new SqlServerError(
    15151,
    `Cannot ${verb} the ${kind} '${name}', because it does not exist or you do not have permission.`,
    1,
    16,
  )

export const hadrDisabled = () =>
  new SqlServerError(
    35221,
    'Could not process the operation. Always On Availability Groups replica manager is disabled on this instance of ' +
      'SQL Server. Enable Always On Availability Groups, by using the SQL Server Configuration Manager. Then, restart ' +
      'the SQL Server service, and retry the currently operation. For information about how to enable and disable ' +
      'Always On Availability Groups, see SQL Server Books Online.',
    1,
    16,
  )

/** 41190: an ALTER AVAILABILITY GROUP form that only the primary may run, run elsewhere. */
export const notPrimary = (ag: string, command: string) =>
  new SqlServerError(
    41190,
    `Availability group '${ag}' failed to process ${command} command. The local availability replica is not in a ` +
      'state that could process the command. Verify that the availability group is online and that the local ' +
      'availability replica is the primary replica, then retry the command.',
    8,
    16,
  )

/** Stand-in number: the replica name is already in the AG. */
export const replicaExists = (ag: string, replica: string) =>
  new SqlServerError(
    35209,
    `Cannot add replica '${replica}' to availability group '${ag}'. The availability group already contains an ` +
      'availability replica with the specified name. Verify that the specified server instance name is correct, ' +
      'then retry the command.',
    1,
    16,
  )

/** Stand-in number: the replica to remove is the primary. */
export const cannotRemovePrimary = (ag: string, replica: string) =>
  new SqlServerError(
    41190,
    `Availability group '${ag}' failed to process REMOVE REPLICA command. '${replica}' hosts the primary replica, ` +
      'which cannot be removed. Fail over to another replica, then retry the command.',
    9,
    16,
  )

/** Stand-in number: the IP is already one of the listener's. */
export const listenerIpExists = (listener: string, ip: string) =>
  new SqlServerError(
    19468,
    `The listener '${listener}' already has the IP address '${ip}'. Specify an IP address that is not in use by ` +
      'the listener, then retry the command.',
    1,
    16,
  )

/** 41158 wraps the real cause of a failed JOIN, as SQL Server does ("…encountered SQL Server error 19456…"). */
export const joinFailed = (ag: string, inner: number) =>
  new SqlServerError(
    41158,
    `Failed to join local availability replica to availability group '${ag}'. The operation encountered SQL Server ` +
      `error ${inner} and has been rolled back. Check the SQL Server error log for more details. When the cause of ` +
      'the error has been resolved, retry the ALTER AVAILABILITY GROUP JOIN command.',
    1,
    16,
  )

export const NO_LISTENER_IP_ON_SUBNET = 19456
export const PRIMARY_CONNECTION_INACTIVE = 35250

/** Stand-in number: JOIN on an instance the primary has not added as a replica. */
export const replicaNotAdded = (ag: string, server: string) =>
  new SqlServerError(
    41106,
    `Cannot join the local availability replica to availability group '${ag}'. The availability group does not ` +
      `contain an availability replica for this instance of SQL Server ('${server}'). Add the replica on the primary ` +
      'replica (ALTER AVAILABILITY GROUP … ADD REPLICA), then retry the command.',
    1,
    16,
  )

export const databaseMissing = (db: string) =>
  new SqlServerError(
    911,
    `Database '${db}' does not exist. Make sure that the name is entered correctly.`,
    1,
    16,
  )

export const databaseRestoring = (db: string) =>
  new SqlServerError(927, `Database '${db}' cannot be opened. It is in the middle of a restore.`, 1, 14)

export const notFullRecovery = (db: string) =>
  new SqlServerError(
    1465,
    `Database "${db}" database is not in full recovery mode on each of the server instances. The full recovery ` +
      'model is required for a database to participate in database mirroring or in an availability group.',
    1,
    16,
  )

/** Stand-in number: FULL recovery but never backed up (the log chain has not started). */
export const noFullBackup = (db: string, ag: string) =>
  new SqlServerError(
    41170,
    `Database '${db}' cannot be added to availability group '${ag}'. No full database backup exists since the ` +
      'database was switched to the FULL recovery model. Take a full database backup, then retry the command.',
    1,
    16,
  )

export const alreadyInGroup = (db: string, ag: string) =>
  new SqlServerError(35280, `Database '${db}' is already part of availability group '${ag}'.`, 1, 16)

export const notAddedOnPrimary = (db: string, ag: string) =>
  new SqlServerError(
    41132,
    `Cannot join database '${db}' to availability group '${ag}'. The database has not been added to the ` +
      'availability group on the primary replica. Add the database on the primary replica (ALTER AVAILABILITY ' +
      'GROUP … ADD DATABASE), then retry the command.',
    1,
    16,
  )

export const alreadyJoined = (db: string, ag: string) =>
  new SqlServerError(
    41145,
    `Cannot join database '${db}' to availability group '${ag}'. The database has already joined the availability ` +
      'group. This is an informational message. No user action is required.',
    1,
    16,
  )

export const joinOnPrimary = (db: string, ag: string) =>
  new SqlServerError(
    35240,
    `Database '${db}' cannot be joined to or unjoined from availability group '${ag}'. This operation is not ` +
      'supported on the primary replica of the availability group.',
    1,
    16,
  )

/** Stand-in number for "the copy to join is not RESTORING". */
export const notRestoring = (db: string) =>
  new SqlServerError(
    1464,
    `Database "${db}" is not in a restoring state, which is required for the mirror database or secondary ` +
      'database. The remote database must be restored using WITH NORECOVERY.',
    1,
    16,
  )

export const insufficientLog = (db: string) =>
  new SqlServerError(
    1478,
    `The mirror database, "${db}", has insufficient transaction log data to preserve the log backup chain of the ` +
      'principal database. This may happen if a log backup from the principal database has not been taken or has ' +
      'not been restored on the mirror database.',
    1,
    16,
  )

export const notJoined = (db: string) =>
  new SqlServerError(
    35242,
    `Cannot complete this ALTER DATABASE <SET HADR> operation on database '${db}'. The database is not joined to an ` +
      'availability group. After the database has joined the availability group, retry the command.',
    1,
    16,
  )

export const alreadyPrimary = (ag: string) =>
  new SqlServerError(
    41122,
    `Cannot failover availability group '${ag}' to this instance of SQL Server. The local availability replica is ` +
      'already the primary replica of the availability group. To failover this availability group to another ' +
      'instance, run the failover command on that instance. If local instance is intended to host the primary ' +
      'replica of the availability group, then no action is required.',
    1,
    16,
  )

export const cannotBecomePrimary = (ag: string) =>
  new SqlServerError(
    41142,
    `The availability replica for availability group '${ag}' on this instance of SQL Server cannot become the ` +
      'primary replica. One or more databases are not synchronized or have not joined the availability group. If ' +
      'the availability replica uses the asynchronous-commit mode, consider performing a forced manual failover ' +
      '(with possible data loss). Otherwise, once all local secondary databases are joined and synchronized, you ' +
      'can perform a planned manual failover to this secondary replica (without data loss). For more information, ' +
      'see SQL Server Books Online.',
    1,
    16,
  )

export const cannotOpenBackupDevice = (path: string) =>
  new SqlServerError(
    3201,
    `Cannot open backup device '${path}'. Operating system error 2(The system cannot find the file specified.).`,
    2,
    16,
  )

export const logBackupInSimple = () =>
  new SqlServerError(
    4208,
    'The statement BACKUP LOG is not allowed while the recovery model is SIMPLE. Use BACKUP DATABASE or change the ' +
      'recovery model using ALTER DATABASE.',
    1,
    16,
  )

export const noCurrentBackup = (db: string) =>
  new SqlServerError(
    4214,
    `BACKUP LOG cannot be performed because there is no current database backup (database '${db}').`,
    1,
    16,
  )

export const restoreOverAgDatabase = (db: string) =>
  new SqlServerError(
    3104,
    `RESTORE cannot operate on database '${db}' because it is configured for database mirroring or has joined an ` +
      'availability group. If you intend to restore the database, use ALTER DATABASE to remove mirroring or to ' +
      'remove the database from its availability group.',
    1,
    16,
  )

export const tailNotBackedUp = (db: string) =>
  new SqlServerError(
    3159,
    `The tail of the log for the database "${db}" has not been backed up. Use BACKUP LOG WITH NORECOVERY to backup ` +
      'the log if it contains work you do not want to lose. Use the WITH REPLACE or WITH STOPAT clause of the ' +
      'RESTORE statement to just overwrite the contents of the log.',
    1,
    16,
  )

export const wrongBackupKind = (path: string, madeBy: string) =>
  new SqlServerError(
    3135,
    `The backup set in file '${path}' was created by ${madeBy} and cannot be used for this restore operation.`,
    1,
    16,
  )

export const nothingToRollForward = () =>
  new SqlServerError(
    3117,
    'The log or differential backup cannot be restored because no files are ready to rollforward.',
    1,
    16,
  )

export const logTooRecent = (first: string, needed: string) =>
  new SqlServerError(
    4305,
    `The log in this backup set begins at LSN ${first}, which is too recent to apply to the database. An earlier ` +
      `log backup that includes LSN ${needed} can be restored.`,
    1,
    16,
  )

export const logTooEarly = (last: string, needed: string) =>
  new SqlServerError(
    4326,
    `The log in this backup set terminates at LSN ${last}, which is too early to apply to the database. A more ` +
      `recent log backup that includes LSN ${needed} can be restored.`,
    1,
    16,
  )

/** RESTORE's planning failures end the reply with 3119 then 3013, after the errors that say what is wrong. */
export function restoreRefused(kind: 'DATABASE' | 'LOG', problems: SqlServerError[]): SqlServerError {
  const terminating = new SqlServerError(3013, `RESTORE ${kind} is terminating abnormally.`, 1, 16)
  terminating.preceding = [
    ...problems,
    new SqlServerError(
      3119,
      'Problems were identified while planning for the RESTORE statement. Previous messages provide details.',
      1,
      16,
    ),
  ]
  return terminating
}

/** The folder of a file RESTORE would create does not exist (Windows error 3, ERROR_PATH_NOT_FOUND). */
export const directoryLookupFailed = (path: string) =>
  new SqlServerError(
    5133,
    `Directory lookup for the file "${path}" failed with the operating system error 3(The system cannot find the path specified.).`,
    1,
    16,
  )

export const cannotRestoreFileTo = (logical: string, path: string) =>
  new SqlServerError(
    3156,
    `File '${logical}' cannot be restored to '${path}'. Use WITH MOVE to identify a valid location for the file.`,
    3,
    16,
  )

export const logicalFileNotInBackup = (logical: string, db: string) =>
  new SqlServerError(
    3234,
    `Logical file '${logical}' is not part of database '${db}'. Use RESTORE FILELISTONLY to list the logical file names.`,
    2,
    16,
  )

export const insufficientVolumeSpace = (volume: string, needed: number, available: number) =>
  new SqlServerError(
    3257,
    `There is insufficient free space on disk volume '${volume}' to create the database. The database requires ${needed} additional free bytes, while only ${available} bytes are available.`,
    1,
    16,
  )

/** Stand-in: the backup belongs to another database than the restoring copy it is applied to. */
export const backupOfOtherDatabase = (db: string) =>
  new SqlServerError(
    3154,
    `The backup set holds a backup of a database other than the existing '${db}' database.`,
    1,
    16,
  )

export const cannotDropMissing = (db: string) =>
  new SqlServerError(
    3701,
    `Cannot drop the database '${db}', because it does not exist or you do not have permission.`,
    1,
    11,
  )

export const dropJoinedDatabase = (db: string) =>
  new SqlServerError(
    3752,
    `The database '${db}' is currently joined to an availability group.  Before you can drop the database, you ` +
      'need to remove it from the availability group.',
    1,
    16,
  )

/** Stand-in number: REMOVE DATABASE names a database the availability group does not hold. */
export const notInGroup = (db: string, ag: string) =>
  new SqlServerError(
    35284,
    `Database '${db}' cannot be removed from availability group '${ag}'. The database is not part of the ` +
      'availability group. Verify the database name, then retry the command.',
    1,
    16,
  )

export const invalidColumn = (name: string) =>
  new SqlServerError(207, `Invalid column name '${name}'.`, 1, 16)

export const ambiguousColumn = (name: string) =>
  new SqlServerError(209, `Ambiguous column name '${name}'.`, 1, 16)

export const unboundIdentifier = (name: string) =>
  new SqlServerError(4104, `The multi-part identifier "${name}" could not be bound.`, 1, 16)

export const unknownFunction = (name: string) =>
  new SqlServerError(195, `'${name}' is not a recognized built-in function name.`, 10, 15)

export const conversionFailed = (value: string, from: string, to: string) =>
  new SqlServerError(
    245,
    `Conversion failed when converting the ${from} value '${value}' to data type ${to}.`,
    1,
    16,
  )

export const parametersNotSupplied = (name: string) =>
  new SqlServerError(216, `Parameters were not supplied for the function '${name}'.`, 1, 16)

export const notInAggregate = (column: string) =>
  new SqlServerError(
    8120,
    `Column '${column}' is invalid in the select list because it is not contained in either an aggregate function ` +
      'or the GROUP BY clause.',
    1,
    16,
  )

export const unknownProcedure = (name: string) =>
  new SqlServerError(2812, `Could not find stored procedure '${name}'.`, 62, 16)

/** 4060 at login: the database named in LOGIN7 does not exist (or the login may not open it). */
export const cannotOpenDatabase = (db: string) =>
  new SqlServerError(4060, `Cannot open database "${db}" requested by the login. The login failed.`, 1, 11)

export const raisedError = (message: string, severity: number, state: number) =>
  new SqlServerError(50000, message, state, severity)

/** What the sandbox does not model says so, instead of pretending to be a SQL Server error. */
export const notModelled = (what: string) =>
  new SqlServerError(50000, `The switchyard sandbox does not model ${what}.`, 1, 16)

/** Stand-in number and text: automatic failover needs synchronous commit (SQL Server refuses the pair, in either order). */
export const automaticNeedsSynchronous = (ag: string, replica: string) =>
  new SqlServerError(
    41143,
    `Cannot configure availability replica '${replica}' of availability group '${ag}' for automatic failover with ` +
      'asynchronous-commit mode. Automatic failover requires SYNCHRONOUS_COMMIT: set AVAILABILITY_MODE = ' +
      'SYNCHRONOUS_COMMIT before FAILOVER_MODE = AUTOMATIC, or FAILOVER_MODE = MANUAL before AVAILABILITY_MODE = ' +
      'ASYNCHRONOUS_COMMIT, then retry the command.',
    1,
    16,
  )

/** Stand-in number and text: the WSFC has no quorum, so the availability group cannot change roles. */
export const clusterWithoutQuorum = (ag: string, cluster: string) =>
  new SqlServerError(
    41054,
    `Failed to process the command for availability group '${ag}': the Windows Server Failover Clustering (WSFC) ` +
      `cluster '${cluster}' does not have quorum. Force quorum on a surviving node, then retry the command.`,
    1,
    16,
  )

/** 47122, as SQL Server 2017+ answers a planned FAILOVER on a CLUSTER_TYPE = NONE (read-scale) availability group. */
export const onlyForceFailover = (ag: string) =>
  new SqlServerError(
    47122,
    `Cannot failover an availability replica for availability group '${ag}' since it has CLUSTER_TYPE = NONE. ` +
      'Only force failover is supported in this version of SQL Server.',
    1,
    16,
  )

/** 47104: an EXTERNAL (Pacemaker) availability group changes roles only through its cluster manager. */
export const clusterManagerOwns = (ag: string) =>
  new SqlServerError(
    47104,
    `This operation cannot be performed on the availability group '${ag}' because it has EXTERNAL cluster type. ` +
      'Use the cluster management tools to perform the operation.',
    1,
    16,
  )
