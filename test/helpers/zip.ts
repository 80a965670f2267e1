import { deflateRawSync } from 'node:zlib';
/**
 * A minimal zip writer (stored entries) for test fixtures, able to write entry names that real
 * tools refuse to create, such as "../escape.png".
 */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A zip of stored entries; `deflate` compresses one, and `declaredSize` makes it claim another
 * uncompressed size (a zip bomb's header, without inflating gigabytes in a test).
 */
export function makeZip(
  entries: Array<{
    name: string;
    data: Uint8Array;
    deflate?: boolean;
    declaredSize?: number;
    encrypted?: boolean;
  }>,
): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data: raw, deflate, declaredSize, encrypted } of entries) {
    // Bit 0 of the flags: the entry is encrypted (its bytes here are not, which no reader checks first).
    const flags = 0x0800 | (encrypted ? 1 : 0);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(raw);
    const packed = deflate ? deflateRawSync(raw) : raw;
    // An encrypted entry carries a 12-byte encryption header before its data (readers check it).
    const data = encrypted ? Buffer.concat([Buffer.alloc(12), packed]) : packed;
    const size = declaredSize ?? raw.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(flags, 6); // UTF-8 names, encryption
    local.writeUInt16LE(deflate ? 8 : 0, 8); // deflated or stored
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, Buffer.from(data));
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
