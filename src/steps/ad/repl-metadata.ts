// AD's replication metadata of one attribute of one object, on one DC: Windows DCs construct it as XML
// (msDS-ReplAttributeMetaData), Samba only returns the binary replPropertyMetaData blob (MS-DRSR 5.159).
// Two DCs hold the same write when version, originating invocation id and originating USN match.
import type { Directory } from './ldap.js'

export interface AttributeMetadata {
  version: number
  originating_invocation_id: string
  originating_usn: number
  originating_time: string
  /** This DC's own USN for the change: it always differs between DCs. */
  local_usn: number
}

// The OID prefixes every DC's default prefix table maps to these indexes (MS-DRSR 5.16.4).
const PREFIXES: Record<string, number> = {
  '2.5.4': 0,
  '2.5.6': 1,
  '1.2.840.113556.1.2': 2,
  '1.2.840.113556.1.3': 3,
  '1.2.840.113556.1.4': 9,
}

/** The ATTRTYP a DC's replPropertyMetaData uses for an attribute OID, for the prefixes that are fixed. */
export function attidOf(oid: string): number | undefined {
  const at = oid.lastIndexOf('.')
  const index = PREFIXES[oid.slice(0, at)]
  const last = Number.parseInt(oid.slice(at + 1), 10)
  if (index === undefined || !(last >= 0 && last < 0x4000)) return undefined
  return index * 0x10000 + last
}

const guid = (b: Buffer, at: number) => {
  const hex = (start: number, end: number) => b.subarray(at + start, at + end).toString('hex')
  const le = (start: number, end: number) =>
    Buffer.from(b.subarray(at + start, at + end))
      .reverse()
      .toString('hex')
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${hex(8, 10)}-${hex(10, 16)}`
}

// replPropertyMetaData times are whole seconds since 1601-01-01 (NTTIME_1sec).
const EPOCH_1601_S = 11_644_473_600

/** One attribute's entry in a replPropertyMetaData blob (version 1: 16-byte header, 48-byte entries). */
export function parseReplPropertyMetaData(blob: Buffer, attid: number): AttributeMetadata | undefined {
  if (blob.length < 16 || blob.readUInt32LE(0) !== 1) return undefined
  const count = blob.readUInt32LE(8)
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 48
    if (at + 48 > blob.length) break
    if (blob.readUInt32LE(at) !== attid) continue
    const seconds = Number(blob.readBigUInt64LE(at + 8)) - EPOCH_1601_S
    return {
      version: blob.readUInt32LE(at + 4),
      originating_time: new Date(seconds * 1000).toISOString(),
      originating_invocation_id: guid(blob, at + 16),
      originating_usn: Number(blob.readBigUInt64LE(at + 32)),
      local_usn: Number(blob.readBigUInt64LE(at + 40)),
    }
  }
  return undefined
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]

/** One attribute's block among msDS-ReplAttributeMetaData's XML values. */
export function parseReplAttributeMetaData(
  xmlValues: string[],
  attribute: string,
): AttributeMetadata | undefined {
  const xml = xmlValues.find((v) => tag(v, 'pszAttributeName')?.toLowerCase() === attribute.toLowerCase())
  if (!xml) return undefined
  return {
    version: Number(tag(xml, 'dwVersion')),
    originating_time: tag(xml, 'ftimeLastOriginatingChange') ?? '',
    originating_invocation_id: tag(xml, 'uuidLastOriginatingDsaInvocationID') ?? '',
    originating_usn: Number(tag(xml, 'usnOriginatingChange')),
    local_usn: Number(tag(xml, 'usnLocalChange')),
  }
}

/** The metadata of `attribute` on `dn` as this DC holds it, or undefined where the DC keeps none (OpenLDAP). */
export async function readAttributeMetadata(
  directory: Directory,
  dn: string,
  attribute: string,
  attributeId: string | undefined,
): Promise<AttributeMetadata | undefined> {
  const { searchEntries } = await directory.client.search(dn, {
    scope: 'base',
    attributes: ['msDS-ReplAttributeMetaData', 'replPropertyMetaData'],
    explicitBufferAttributes: ['replPropertyMetaData'],
  })
  const entry = searchEntries[0]
  if (!entry) return undefined
  const xml = entry['msDS-ReplAttributeMetaData']
  if (xml !== undefined) {
    const parsed = parseReplAttributeMetaData((Array.isArray(xml) ? xml : [xml]).map(String), attribute)
    if (parsed) return parsed
  }
  const blob = entry.replPropertyMetaData
  const attid = attributeId === undefined ? undefined : attidOf(attributeId)
  if (!Buffer.isBuffer(blob) || attid === undefined) return undefined
  return parseReplPropertyMetaData(blob, attid)
}

/** Both DCs' metadata of the canary attribute, and whether they hold the same originating write. */
export function compareMetadata(source: AttributeMetadata, target: AttributeMetadata) {
  return {
    source,
    target,
    same_write:
      source.version === target.version &&
      source.originating_invocation_id === target.originating_invocation_id &&
      source.originating_usn === target.originating_usn,
  }
}
