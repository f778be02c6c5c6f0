// Read-only checks, for plan and dry run, that the canary write will succeed on the night: the values it
// would replace, the attribute's schema entry (AD) and what the bound account may write on the object
// (AD's constructed allowedAttributesEffective).
import { SwitchyardError } from '../../errors.js'
import type { Directory } from './ldap.js'
import { writeRefusal } from './ldap-answers.js'
import type { DcIdentity } from './topology.js'

/** Every canary value starts so: a value that does not was put there by someone else. */
export const CANARY_PREFIX = 'switchyard '

// Directory String, Case-Insensitive String, IA5 String and Printable String (MS-ADTS 3.1.1.2.2.2).
const STRING_SYNTAXES = new Set(['2.5.5.12', '2.5.5.4', '2.5.5.5', '2.5.5.6'])

const values = (value: unknown): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => String(v))

interface AttributeSchema {
  attributeID?: string
  rangeUpper?: number
  syntax?: string
}

/** The attribute's entry in the DC's schema, or undefined when the schema has none. */
export async function attributeSchema(
  directory: Directory,
  schemaNc: string,
  attribute: string,
): Promise<AttributeSchema | undefined> {
  const { searchEntries } = await directory.client.search(schemaNc, {
    scope: 'one',
    filter: `(&(objectClass=attributeSchema)(lDAPDisplayName=${attribute}))`,
    attributes: ['attributeID', 'rangeUpper', 'attributeSyntax'],
  })
  const entry = searchEntries[0]
  if (!entry) return undefined
  const range = values(entry.rangeUpper)[0]
  return {
    attributeID: values(entry.attributeID)[0],
    syntax: values(entry.attributeSyntax)[0],
    ...(range === undefined ? {} : { rangeUpper: Number.parseInt(range, 10) }),
  }
}

/**
 * Fails, with what to do, when the canary write would fail or would overwrite a value switchyard did not
 * write. `valueLength` is the length of the value apply would write.
 */
export async function requireCanaryWritable(
  source: Directory,
  identity: DcIdentity,
  o: { dn: string; attribute: string; valueLength: number },
): Promise<void> {
  const { dn, attribute } = o
  const refuse = (code: number, detail = '') => {
    const refusal = writeRefusal(code, { attribute, dn, bindDn: source.bindDn, dc: source.label })
    return new SwitchyardError(`the canary write would fail on ${source.label}: ${refusal.what}${detail}`, {
      hint: refusal.todo,
    })
  }
  const { searchEntries } = await source.client.search(dn, {
    scope: 'base',
    attributes: [attribute, 'allowedAttributesEffective'],
  })
  const entry = searchEntries[0] ?? { dn }
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase())
  const current = key ? values(entry[key]) : []
  const foreign = current.filter((v) => !v.startsWith(CANARY_PREFIX))
  if (current.length > 1 || foreign.length > 0)
    throw new SwitchyardError(
      `the canary's ${attribute} on ${dn} holds ${current.length > 1 ? `${current.length} values` : `"${foreign[0]}"`}, which switchyard did not write: the canary replaces every value of ${attribute}`,
      {
        hint: `give the canary a dedicated object (e.g. a contact in the migration OU) whose ${attribute} is empty, or clear ${attribute} on ${dn}`,
      },
    )

  // What follows only AD answers: OpenLDAP has neither a schema partition nor allowedAttributesEffective.
  if (identity.schemaNamingContext === undefined) return
  const schema = await attributeSchema(source, identity.schemaNamingContext, attribute)
  if (!schema) throw refuse(16)
  if (schema.syntax !== undefined && !STRING_SYNTAXES.has(schema.syntax))
    throw refuse(21, `: its syntax ${schema.syntax} is not a string`)
  if (schema.rangeUpper !== undefined && schema.rangeUpper < o.valueLength)
    throw refuse(
      21,
      `: it holds at most ${schema.rangeUpper} characters, the canary value needs ${o.valueLength}`,
    )
  const allowed = values(entry.allowedAttributesEffective).map((a) => a.toLowerCase())
  if (!allowed.includes(attribute.toLowerCase())) throw refuse(50)
}
