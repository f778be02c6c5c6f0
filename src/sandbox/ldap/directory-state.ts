import { createHash } from 'node:crypto'
import { Client } from 'ldapts'

export type DirectoryState = Record<string, Record<string, string[]>>

const SECRET_ATTRIBUTES = new Set(['userpassword'])

/** Every entry under `suffix` with its user attributes (operational ones such as entryCSN are left out). */
export async function readDirectory(
  url: string,
  bind: { dn: string; password: string },
  suffix: string,
): Promise<DirectoryState> {
  const client = new Client({ url, timeout: 5000, connectTimeout: 5000 })
  try {
    await client.bind(bind.dn, bind.password)
    const { searchEntries } = await client.search(suffix, { scope: 'sub', attributes: ['*'] })
    return Object.fromEntries(
      searchEntries.map(({ dn, ...attributes }) => [
        dn.toLowerCase(),
        Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => {
            const values = [value].flat().map(String).sort()
            return [
              name,
              SECRET_ATTRIBUTES.has(name.toLowerCase())
                ? values.map((v) => `sha256:${createHash('sha256').update(v).digest('hex')}`)
                : values,
            ]
          }),
        ),
      ]),
    )
  } finally {
    await client.unbind().catch(() => {})
  }
}
