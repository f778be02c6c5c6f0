import { endpointAlgorithm, endpointAuth } from './catalog/server-views.js'
import type { Instance } from './model.js'

type Endpoint = NonNullable<Instance['endpoint']>

const parts = (desc: string) => desc.split('_')

/**
 * Whether two mirroring endpoints can connect: they need an encryption algorithm in common (NONE counts when both
 * allow it) and an authentication both accept (NEGOTIATE meets NTLM or KERBEROS). Otherwise the join sees 35250.
 */
export function endpointsConnect(a: Endpoint, b: Endpoint): boolean {
  const algorithmsB = parts(endpointAlgorithm(b))
  if (!parts(endpointAlgorithm(a)).some((x) => algorithmsB.includes(x))) return false
  const authB = parts(endpointAuth(b))
  return parts(endpointAuth(a)).some((x) =>
    authB.some(
      (y) =>
        x === y || (x !== 'CERTIFICATE' && y !== 'CERTIFICATE' && (x === 'NEGOTIATE' || y === 'NEGOTIATE')),
    ),
  )
}
