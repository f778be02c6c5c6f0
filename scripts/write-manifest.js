// Writes oclif.manifest.json so that start-up and --help never scan or import every command file.
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Plugin } from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const plugin = new Plugin({
  root,
  ignoreManifest: true,
  isRoot: true,
  respectNoCacheDefault: true,
  type: 'core',
})
await plugin.load()
const { commands, version } = plugin.manifest
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify({ commands, version }, null, 2)}\n`)
console.log(`oclif.manifest.json: ${Object.keys(commands).length} commands`)
