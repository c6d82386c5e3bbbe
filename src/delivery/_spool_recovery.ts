// Start-up: reads every segment file the spool directory holds, reports what is damaged, and
// keeps the items not settled yet, as where their texts are (the backlog), plus the batches they
// were in. Nothing here writes, apart from removing leftover temporary files.
import type { SpoolFs } from "../platform/files.ts";
import type { Logger } from "../logger.ts";
import { osCode, spoolErrorFrom } from "./spool_error.ts";
import { leftByDeadStarter } from "./spool_lock.ts";
import { itemTextRange, type PreviousSegment, scanSegment } from "./spool_record.ts";
import type { BacklogItem } from "./_spool_backlog.ts";
import { FIRST_FORMAT, type LiveItem, SEGMENT, type Segment } from "./_spool_segment.ts";
import { OriginMap } from "./_origins.ts";
import type { RecordOrigin } from "./spool_record.ts";

/** What start-up found: the segments, the next sequence number, the backlog and its live items. */
export interface RecoveredState {
  readonly segments: Segment[];
  readonly nextSeq: number;
  readonly backlog: BacklogItem[];
  readonly live: Map<number, LiveItem>;
  /** Per source, the latest position recorded (headers, then item records, by segment id). */
  readonly origins: OriginMap;
}

/** A segment file found at start-up, before its records are read. */
interface Found {
  readonly id: number;
  readonly name: string;
  /** Whose sequence numbers its items use. */
  readonly writer: string;
}

/** What one segment's scan said about its own completeness. */
interface SegmentReport {
  readonly segment: Segment;
  readonly writer: string;
  readonly firstFormat: boolean;
  /** Records found, the footer excluded. */
  readonly found: number;
  /** Records it should hold (from its footer), when known. */
  expected: number | undefined;
  readonly hasFooter: boolean;
  readonly prev: PreviousSegment | undefined;
  readonly problems: string[];
  /** A torn end with nothing after it (a crash mid-write), reported apart. */
  readonly tail: { offset: number; bytes: number } | undefined;
}

/** Items read so far, keyed by writer and sequence number, in the order they were read. */
interface Scanned {
  readonly items: Map<
    string,
    { at: number; bytes: number; ref: LiveItem; origin: RecordOrigin | undefined }
  >;
  /** The batch key of each item that was in a batch. */
  readonly batchOf: Map<string, string>;
  /** Items settled. */
  readonly settled: Set<string>;
  /** Positions by source, folded in the order records were written. */
  readonly origins: OriginMap;
  /** One string per source, shared by the items that name it. */
  readonly sources: Map<string, string>;
}

const refKey = (writer: string, seq: number) => `${writer}\u0000${seq}`;

/** Leftover temporary files: segment heads of a crash, lock files of a killed starter. */
async function removeLeftovers(fs: SpoolFs, dir: string, names: readonly string[]) {
  for (const name of names) {
    if (!name.endsWith(".tmp")) continue;
    const path = `${dir}/${name}`;
    if (name.startsWith("segment-")) {
      await fs.remove(path).catch(() => {});
    } else if (name.startsWith("spool.lock.")) {
      // Another starter's, being linked right now, must be left alone; a minute old is dead, and
      // so is one whose writer is known gone (killed before linking it).
      const since = await fs.mtime(path).catch(() => Date.now());
      if (Date.now() - since > 60_000 || await leftByDeadStarter(fs, name).catch(() => false)) {
        await fs.remove(path).catch(() => {});
      }
    }
  }
}

/**
 * Reads every segment: live items, the batches they were in. A segment that is not whole (cut,
 * emptied, without its header, damaged inside) is reported with the number of records lost where
 * it can be known, and set aside in `damaged/` once its readable items are settled.
 */
export async function recover(fs: SpoolFs, dir: string, logger: Logger): Promise<RecoveredState> {
  const found = await findSegments(fs, dir);
  const reports: SegmentReport[] = [];
  const scanned: Scanned = {
    items: new Map(),
    batchOf: new Map(),
    settled: new Set(),
    origins: new OriginMap(),
    sources: new Map(),
  };
  for (const { id, name, writer } of found) {
    const report = await readSegment(fs, `${dir}/${name}`, { id, name, writer }, scanned);
    if (report !== undefined) reports.push(report);
  }
  countCutSegments(reports);
  const lastOfWriter = new Map(reports.map((report) => [report.writer, report]));
  for (const report of reports) {
    reportDamage(report, lastOfWriter.get(report.writer) === report, logger);
  }
  return {
    segments: reports.map((report) => report.segment),
    ...backlogOf(scanned),
    origins: scanned.origins,
  };
}

/** The segment files of the directory, oldest first (leftover temporary files removed). */
async function findSegments(fs: SpoolFs, dir: string): Promise<Found[]> {
  let names: string[];
  try {
    names = await fs.readDir(dir);
  } catch (error) {
    throw spoolErrorFrom(error, "read the spool directory", dir);
  }
  await removeLeftovers(fs, dir, names);
  const found: Found[] = [];
  for (const name of names) {
    const match = SEGMENT.exec(name);
    if (match !== null) {
      found.push({ id: Number(match[1]), name, writer: match[2] ?? FIRST_FORMAT });
    }
  }
  found.sort((a, b) => a.id - b.id || (a.name < b.name ? -1 : 1));
  return found;
}

/**
 * Reads one segment: its items and the batch and settled records in it go into `scanned`; what
 * it says of its own completeness is returned (undefined when the file is gone).
 */
async function readSegment(
  fs: SpoolFs,
  path: string,
  { id, name, writer }: Found,
  scanned: Scanned,
): Promise<SegmentReport | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (error) {
    if (osCode(error) === "ENOENT") return undefined;
    throw spoolErrorFrom(error, "read the spool file", path);
  }
  // Texts are not decoded here: start-up keeps where they are, not what they say.
  const { records, offsets, damage } = scanSegment(bytes, { texts: false });
  const firstFormat = writer === FIRST_FORMAT;
  const problems: string[] = [];
  let tail: SegmentReport["tail"];
  for (const stretch of damage) {
    if (stretch.tail) tail = { offset: stretch.offset, bytes: stretch.length };
    else problems.push(`${stretch.length} bytes at offset ${stretch.offset} unreadable`);
  }
  const header = records[0]?.kind === "header" ? records[0] : undefined;
  if (bytes.length === 0) problems.push("empty (0 bytes)");
  else if (!firstFormat && header === undefined) problems.push("its header is missing");
  const footerAt = records.findIndex((record) => record.kind === "footer");
  const footer = footerAt < 0 ? undefined : records[footerAt];
  const segment: Segment = {
    id,
    name,
    path,
    bytes: bytes.length,
    live: 0,
    records: 0,
    damaged: false,
  };
  collectRecords(records, offsets, bytes, segment, writer, scanned);
  return {
    segment,
    writer,
    firstFormat,
    found: footerAt < 0 ? records.length : footerAt,
    expected: footer?.kind === "footer" ? footer.records : undefined,
    hasFooter: footer !== undefined,
    prev: header?.kind === "header" ? header.prev : undefined,
    problems,
    tail,
  };
}

/** Items, and the batch and settled records naming items, of one segment's records. */
function collectRecords(
  records: ReturnType<typeof scanSegment>["records"],
  offsets: readonly number[],
  bytes: Uint8Array,
  segment: Segment,
  writer: string,
  { items, batchOf, settled, origins, sources }: Scanned,
): void {
  for (const [index, record] of records.entries()) {
    if (record.kind === "item") {
      const { seq, addedAt } = record;
      const ref: LiveItem = { segment, addedAt, writer, seq };
      const [start, end] = itemTextRange(bytes, offsets[index]);
      let origin = record.origin;
      if (origin !== undefined) {
        let source = sources.get(origin.source);
        if (source === undefined) sources.set(origin.source, source = origin.source);
        origin = { source, position: origin.position };
        origins.set(source, origin.position);
      }
      items.set(refKey(writer, seq), { at: offsets[index], bytes: end - start, ref, origin });
    } else if (record.kind === "header") {
      // What was durable when the segment started (a source's items may be in deleted files).
      for (const [source, position] of record.origins ?? []) origins.set(source, position);
    } else if (record.kind === "batch" || record.kind === "settled") {
      for (const [owner, seqs] of record.refs) {
        for (const seq of seqs) {
          const key = refKey(owner === "" ? writer : owner, seq);
          if (record.kind === "batch") batchOf.set(key, record.key);
          else settled.add(key);
        }
      }
    }
  }
}

/** What each writer's next segment says of the one before: the count of a cut segment. */
function countCutSegments(reports: readonly SegmentReport[]): void {
  const byName = new Map(reports.map((report) => [report.segment.name, report]));
  for (const report of reports) {
    const previous = report.prev === undefined ? undefined : byName.get(report.prev.name);
    if (previous !== undefined && previous.expected === undefined) {
      previous.expected = report.prev!.records;
    }
  }
}

/**
 * Logs a damaged segment (and marks it, to be set aside) or a torn tail, with the records lost
 * where known. `isLast`: the newest segment of its writer, which may lack its end.
 */
function reportDamage(report: SegmentReport, isLast: boolean, logger: Logger): void {
  const lost = report.expected === undefined ? undefined : report.expected - report.found;
  if (lost !== undefined && lost > 0) report.problems.push(`${lost} records missing`);
  else if (!report.firstFormat && !isLast && !report.hasFooter && report.expected === undefined) {
    report.problems.push("its end is missing");
  }
  const { path } = report.segment;
  if (report.problems.length > 0) {
    report.segment.damaged = true;
    logger.warn(
      "vectorvue spool: damaged segment; its readable records are delivered, the file is then moved to damaged/",
      {
        file: path,
        problems: report.problems,
        recordsLost: lost !== undefined && lost > 0 ? lost : "unknown",
        ...(report.tail === undefined ? {} : { tailOffset: report.tail.offset }),
      },
    );
  } else {
    if (report.tail !== undefined) {
      // The end of the newest file of a crashed writer: never acknowledged (add() resolves
      // after the fsync), so nothing is lost.
      logger.warn("vectorvue spool: torn or corrupt tail skipped (a crash mid-write?)", {
        file: path,
        offset: report.tail.offset,
        bytes: report.tail.bytes,
      });
    }
  }
}

/** The items not settled, renumbered: the backlog, its batches first in the order they formed. */
function backlogOf(
  { items, batchOf, settled }: Scanned,
): Pick<RecoveredState, "nextSeq" | "backlog" | "live"> {
  const live = new Map<number, LiveItem>();
  const batches = new Map<string, BacklogItem[]>();
  const loose: BacklogItem[] = [];
  let nextSeq = 0;
  for (const [key, { at, bytes, ref, origin }] of items) {
    if (settled.has(key)) continue;
    const seq = nextSeq++;
    ref.segment.live++;
    live.set(seq, ref);
    const batchKey = batchOf.get(key);
    const item: BacklogItem = {
      seq,
      addedAt: ref.addedAt,
      path: ref.segment.path,
      at,
      bytes,
      ...(batchKey === undefined ? {} : { batchKey }),
      ...(origin === undefined ? {} : { origin }),
    };
    if (batchKey === undefined) loose.push(item);
    else if (batches.has(batchKey)) batches.get(batchKey)!.push(item);
    else batches.set(batchKey, [item]);
  }
  // Batches in the order of their first item, which is the order they were formed in.
  const backlog = [...batches.values()].sort((a, b) => a[0].seq - b[0].seq).flat();
  backlog.push(...loose);
  return { nextSeq, backlog, live };
}
