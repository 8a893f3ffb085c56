import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../src/db/index.js';

/** The built server and command line, as `npm start` and `npm run mashang` run them. */
export const serverJs = path.join(projectRoot, 'dist', 'src', 'server.js');
export const cliJs = path.join(projectRoot, 'dist', 'src', 'cli', 'mashang.js');

const newest = (dir: string): number =>
  Math.max(
    ...fs
      .readdirSync(dir, { withFileTypes: true })
      .map((e) => (e.isDirectory() ? newest(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs)),
  );

/**
 * Builds dist/ when a file in src/ is newer (vitest globalSetup: once per run, before any test
 * file spawns the server or the command line, so none of them reads a build half written).
 */
export default function setup(): void {
  if (
    fs.existsSync(serverJs) &&
    fs.existsSync(cliJs) &&
    newest(path.join(projectRoot, 'src')) <= Math.min(fs.statSync(serverJs).mtimeMs, fs.statSync(cliJs).mtimeMs)
  )
    return;
  try {
    execFileSync(process.execPath, [path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: projectRoot,
      stdio: 'pipe',
    });
  } catch (err) {
    // a type error (the check reports it) still emits the JavaScript; a build that wrote nothing is an error
    if (!fs.existsSync(serverJs) || !fs.existsSync(cliJs)) throw err;
  }
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
