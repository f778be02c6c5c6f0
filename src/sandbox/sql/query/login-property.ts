import { notModelled } from '../errors.js'
import type { Login } from '../model.js'
import { variant } from '../tsql/parser.js'
import type { Binder, Compiled, Env } from './types.js'
import { asText } from './values.js'

type CompileExpression = (node: unknown, binder: Binder) => Compiled

/** LOGINPROPERTY's properties for SQL logins (a Windows login, or an unknown name, is NULL), as Microsoft lists them. */
const PROPERTIES: Record<string, { type: Compiled['type']; value: (login: Login, env: Env) => unknown }> = {
  passwordhash: {
    type: { type: 'varbinary' },
    value: (login, env) =>
      env.login.sysadmin || env.login.permissions.includes('CONTROL SERVER') ? login.passwordHash : null,
  },
  passwordhashalgorithm: { type: { type: 'int' }, value: () => 2 },
  defaultdatabase: { type: { type: 'nvarchar' }, value: (login) => login.defaultDatabase },
  defaultlanguage: { type: { type: 'nvarchar' }, value: (login) => login.defaultLanguage },
  islocked: { type: { type: 'int' }, value: () => 0 },
  isexpired: { type: { type: 'int' }, value: () => 0 },
  ismustchange: { type: { type: 'int' }, value: () => 0 },
  badpasswordcount: { type: { type: 'int' }, value: () => 0 },
}

/** LOGINPROPERTY(name, 'PasswordHash'): the property is a literal, since its type depends on it (sql_variant). */
export function loginProperty(args: unknown[], binder: Binder, compile: CompileExpression): Compiled {
  const [nameArg, propertyArg] = args
  const [kind, body] = variant(propertyArg)
  const literal = kind === 'Value' ? variant((body as { value: unknown }).value)[1] : undefined
  if (typeof literal !== 'string') throw notModelled('LOGINPROPERTY with a property that is not a literal')
  const property = PROPERTIES[literal.toLowerCase()]
  const name = compile(nameArg, binder)
  return {
    type: property?.type ?? { type: 'int' },
    evaluate: (tuple, env) => {
      const login = env.instance.logins.get(asText(name.evaluate(tuple, env)).toLowerCase())
      if (!property || !login || login.type !== 'SQL_LOGIN') return null
      return property.value(login, env)
    },
  }
}
