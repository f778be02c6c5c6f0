import { catalogDatabases } from './catalog/index.js'
import { cannotOpenDatabase, loginFailed } from './errors.js'
import type { Login } from './model.js'
import type { Env } from './query/types.js'
import { passwordMatches } from './server-objects.js'
import { runStatements, statementKind } from './statements.js'
import type { LoginRequest, Parameter, Reply, Session, TdsHandler } from './tds/index.js'
import { loadTsqlParser } from './tsql/parser.js'
import type { SqlWorld } from './world.js'

/** What a session keeps between requests: its open transactions. */
interface SessionState {
  tranCount: number
}

/** The TDS handler of one instance of the world: logs in, then parses, binds and runs each batch or RPC. */
export function createSqlHandler(world: SqlWorld, instanceName: string): TdsHandler {
  const instance = world.instance(instanceName)
  const sessions = new WeakMap<Session, SessionState>()
  const parserReady = loadTsqlParser()
  const loginOf = (user: string): Login => {
    const login = instance.logins.get(user.toLowerCase())
    if (!login) throw loginFailed(user)
    return login
  }
  return {
    login(request: LoginRequest) {
      const login = instance.logins.get(request.user.toLowerCase())
      if (instance.refuseLogins || !login || login.disabled || !passwordMatches(login, request.password))
        throw loginFailed(request.user)
      const wanted = request.database || 'master'
      const database = catalogDatabases(instance).find((d) => d.name.toLowerCase() === wanted.toLowerCase())
      if (database?.state !== 'ONLINE') throw cannotOpenDatabase(wanted)
      return { serverName: instance.name, database: database.name }
    },
    async execute(session: Session, sql: string, parameters: Parameter[]): Promise<Reply> {
      await parserReady
      world.tick()
      world.countStatement(instance.name, statementKind(sql))
      const state = sessions.get(session) ?? { tranCount: 0 }
      sessions.set(session, state)
      const env: Env = {
        world,
        instance,
        login: loginOf(session.user),
        session,
        spid: session.id,
        database: session.database,
        tranCount: state.tranCount,
        variables: new Map(),
        loginName: session.user,
        appName: session.appName,
      }
      try {
        return runStatements(sql, parameters, env)
      } finally {
        state.tranCount = env.tranCount
        session.database = env.database
      }
    },
  }
}
