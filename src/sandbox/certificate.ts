import selfsigned from 'selfsigned'

let made: Promise<{ key: string; cert: string }> | undefined

/**
 * The certificate the sandbox's SQL Servers and domain controllers present, made once per process:
 * self-signed for localhost and 127.0.0.1 (as SQL Server makes one for itself when none is configured),
 * so it is also the CA file a client trusts.
 */
export function sandboxCertificate(): Promise<{ key: string; cert: string }> {
  made ??= selfsigned
    .generate([{ name: 'commonName', value: 'switchyard-sandbox' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    })
    .then((pems) => ({ key: pems.private, cert: pems.cert }))
  return made
}
