import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isInside } from './paths.js';

/**
 * Unpacks a chart archive (`helm package`'s gzipped tar) into `into`, for kustomize, which wants
 * chart folders. Only regular files and folders are written, and only below `into`: a link, a
 * device, an absolute path or one that climbs out is refused, as is an archive that unpacks past
 * `maxBytes` (measured while unpacking). Understands the ustar, pax (`path`) and GNU long-name
 * headers that Go's archive/tar writes. Throws an Error saying what is wrong; returns the bytes written.
 */
export async function unpackChart(archive: Buffer, into: string, maxBytes: number): Promise<number> {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: maxBytes });
  } catch (err) {
    throw new Error((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `the archive unpacks to more than ${maxBytes} bytes` : 'not a gzip archive');
  }
  const text = (from: number, length: number) => tar.subarray(from, from + length).toString('utf8').replace(/\0.*$/s, '');
  let offset = 0;
  let longName: string | undefined;
  let written = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const prefix = text(offset + 345, 155);
    const own = text(offset, 100);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type === 'g') continue;
    const name = longName ?? (prefix ? `${prefix}/${own}` : own);
    longName = undefined;
    const target = path.resolve(into, name);
    if (path.isAbsolute(name) || !isInside(into, target)) throw new Error(`the archive names a path outside its folder: ${name}`);
    if (type === '5') {
      await mkdir(target, { recursive: true });
    } else if (type === '0' || type === '\0') {
      written += size;
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, body, { flag: 'wx' });
    } else {
      throw new Error(`the archive holds ${name}, which is not a regular file or folder`);
    }
  }
  return written;
}
