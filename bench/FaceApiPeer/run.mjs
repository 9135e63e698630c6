// The face_recognition-style peer of the FacePipeline benchmark (issue 18): @vladmandic/face-api 1.7.15 on the
// tfjs WASM backend: SSD MobileNet v1 detector -> 68 landmarks -> dlib ResNet 128-d descriptor, on lfw-dev by its
// protocol (per person, files sorted by name in byte order, even positions train, odd test), then 1-nearest-neighbour
// identification (Euclidean distance, as face_recognition does) of every test image against the train images.
//
// Usage: node bench/FaceApiPeer/run.mjs --lfw DIR --out FILE [--workers N] [--people N] [--min-confidence C]
//   --lfw DIR            lfw-dev folder, one sub-folder per person [default: none, required]
//   --out FILE           result JSON to write [default: none, required]
//   --workers N          worker threads, each with its own tfjs WASM backend and models [default: logical cores]
//   --people N           only the first N people in byte order (a smoke run) [default: 0 = all]
//   --min-confidence C   SSD MobileNet v1 score threshold [default: 0.5, face-api's default]
//   --warmup N           untimed images per worker before the timed pass [default: 2]
//
// tfjs-backend-wasm runs one thread per backend in Node (its threaded build needs browser workers), so the peer uses
// the cores as face-api's own node-multiprocess demo does: one backend per worker, images handed out one at a time.
// Progress and notes go to stderr; the result is the JSON file.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { readdirSync, readFileSync, statSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function fail(message, code = 2) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

function parseArguments(argv) {
  const options = { lfw: null, out: null, workers: availableParallelism(), people: 0, minConfidence: 0.5, warmup: 2 };
  const number = (name, value, min) => {
    const parsed = Number(value);
    if (value === undefined || !Number.isFinite(parsed) || parsed < min) fail(`${name}: needs a number >= ${min}; see the usage at the top of run.mjs`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    switch (name) {
      case '--lfw': options.lfw = value; break;
      case '--out': options.out = value; break;
      case '--workers': options.workers = Math.trunc(number(name, value, 1)); break;
      case '--people': options.people = Math.trunc(number(name, value, 0)); break;
      case '--min-confidence': options.minConfidence = number(name, value, 0); break;
      case '--warmup': options.warmup = Math.trunc(number(name, value, 0)); break;
      default: fail(`${name}: unknown option; see the usage at the top of bench/FaceApiPeer/run.mjs`);
    }
  }
  if (!options.lfw) fail('--lfw: needs the lfw-dev folder (one sub-folder per person)');
  if (!options.out) fail('--out: needs the result JSON file to write');
  return options;
}

const byteOrder = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The lfw-dev protocol of scripts/bench.sh: per person, files by name in byte order, even positions train, odd test. */
function manifest(folder, people) {
  let stat;
  try { stat = statSync(folder); } catch { fail(`${folder}: lfw-dev folder not found; pass --lfw DIR`); }
  if (!stat.isDirectory()) fail(`${folder}: not a folder; pass the lfw-dev folder with --lfw`);
  const labels = readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(byteOrder);
  const images = [];
  for (const label of people > 0 ? labels.slice(0, people) : labels) {
    const files = readdirSync(join(folder, label), { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort(byteOrder);
    files.forEach((file, position) => images.push({ path: join(folder, label, file), label, split: position % 2 === 0 ? 'train' : 'test' }));
  }
  if (images.length === 0) fail(`${folder}: no images in its sub-folders; pass the lfw-dev folder with --lfw`);
  return images;
}

function runWorkers(images, options) {
  return new Promise((resolveAll, rejectAll) => {
    const results = new Array(images.length);
    const workers = [];
    const loads = [];
    let next = 0;
    let ready = 0;
    let done = 0;
    let start = 0;
    const hand = (w) => {
      if (next < images.length) {
        const index = next++;
        w.postMessage({ index, path: images[index].path });
      } else {
        w.postMessage({ stop: true });
      }
    };
    for (let i = 0; i < options.workers; i++) {
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: { minConfidence: options.minConfidence, warmup: options.warmup, warmupPath: images[0].path } });
      workers.push(w);
      w.on('error', rejectAll);
      w.on('message', (m) => {
        if (m.ready) {
          loads.push(m);
          if (++ready === options.workers) {
            // The timed pass starts once every worker has loaded its models and warmed up.
            start = performance.now();
            workers.forEach(hand);
          }
          return;
        }
        results[m.index] = m;
        if (++done % 100 === 0) process.stderr.write(`faceapi-peer: ${done}/${images.length} images\n`);
        if (done === images.length) {
          const seconds = (performance.now() - start) / 1000;
          Promise.all(workers.map((x) => x.terminate())).then(() => resolveAll({ results, seconds, loads }), rejectAll);
        } else {
          hand(w);
        }
      });
    }
  });
}

/** 1-nearest-neighbour identification of the test images against the train images with a face. */
function nearestNeighbour(images, results) {
  const gallery = images.map((image, i) => ({ ...image, descriptor: results[i].descriptor }))
    .filter((g) => g.split === 'train' && g.descriptor);
  const perLabel = new Map();
  let correct = 0;
  let scored = 0;
  let correctScored = 0;
  images.forEach((image, i) => {
    if (image.split !== 'test') return;
    const entry = perLabel.get(image.label) ?? { total: 0, correct: 0 };
    perLabel.set(image.label, entry);
    entry.total++;
    const descriptor = results[i].descriptor;
    if (!descriptor || gallery.length === 0) return;
    let best = Infinity;
    let predicted = null;
    for (const g of gallery) {
      let sum = 0;
      for (let k = 0; k < descriptor.length; k++) {
        const d = descriptor[k] - g.descriptor[k];
        sum += d * d;
      }
      if (sum < best) { best = sum; predicted = g.label; }
    }
    scored++;
    if (predicted === image.label) { correct++; correctScored++; entry.correct++; }
  });
  const testImages = [...perLabel.values()].reduce((s, e) => s + e.total, 0);
  const recalls = [...perLabel.values()].map((e) => e.correct / e.total);
  return {
    gallery: gallery.length,
    test_images: testImages,
    test_with_face: scored,
    accuracy: correct / testImages,
    accuracy_faces_found: scored > 0 ? correctScored / scored : null,
    macro_recall: recalls.reduce((s, r) => s + r, 0) / recalls.length,
    classes: perLabel.size,
  };
}

const round = (value, digits = 4) => (value === null ? null : Number(value.toFixed(digits)));

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const loadStart = loadavg().map((l) => l.toFixed(2)).join(' ');
  const images = manifest(resolve(options.lfw), options.people);
  const train = images.filter((i) => i.split === 'train').length;
  process.stderr.write(`faceapi-peer: ${images.length} images (${train} train, ${images.length - train} test) of ${new Set(images.map((i) => i.label)).size} people; ${options.workers} worker(s); load ${loadStart}\n`);
  const processStart = performance.now();
  const { results, seconds, loads } = await runWorkers(images, options);
  const noFace = (split) => images.filter((image, i) => image.split === split && results[i].face === false).length;
  const errors = results.filter((r) => r.error).map((r) => ({ path: images[r.index].path, error: r.error }));
  const nn = nearestNeighbour(images, results);
  const sum = (key) => results.reduce((s, r) => s + (r[key] ?? 0), 0);
  const faceApiPackage = require('@vladmandic/face-api/package.json');
  const result = {
    tool: `@vladmandic/face-api ${faceApiPackage.version} on @tensorflow/tfjs-backend-wasm ${require('@tensorflow/tfjs-backend-wasm/package.json').version} (Node ${process.version})`,
    chain: 'SsdMobilenetv1 (minConfidence ' + options.minConfidence + ') -> largest face -> FaceLandmark68Net -> dlib alignment -> FaceRecognitionNet (dlib ResNet, 128-d)',
    backend: loads[0].backend,
    wasm_simd: loads[0].simd,
    threads_per_worker: loads[0].threads,
    workers: options.workers,
    lfw: resolve(options.lfw),
    protocol: 'lfw-dev: per person, files sorted by name (byte order), even positions (0, 2, ...) train, odd test; 1-NN by Euclidean distance of the test descriptors to every train descriptor; test images without a face (or undecodable) count as wrong',
    images: images.length,
    people: new Set(images.map((i) => i.label)).size,
    train_images: train,
    no_face_train: noFace('train'),
    no_face_test: noFace('test'),
    errors,
    model_load_s: round(Math.max(...loads.map((l) => l.loadSeconds)), 3),
    warmup_images_per_worker: options.warmup,
    pass_s: round(seconds, 3),
    images_per_s: round(images.length / seconds, 4),
    decode_ms_per_image: round(sum('decodeMs') / images.length, 3),
    chain_ms_per_image: round(sum('chainMs') / images.length, 3),
    process_s: round((performance.now() - processStart) / 1000, 3),
    ...Object.fromEntries(Object.entries(nn).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? round(v) : v])),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadavg_start: loadStart,
    loadavg_end: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, JSON.stringify(result, null, 2) + '\n');
  renameSync(`${out}.tmp`, out);
  process.stderr.write(`faceapi-peer: ${result.images_per_s} images/s (${images.length} images in ${result.pass_s} s, models loaded in ${result.model_load_s} s); `
    + `1-NN accuracy ${result.accuracy} (${nn.test_with_face}/${nn.test_images} test images with a face), macro recall ${result.macro_recall}; wrote ${out}\n`);
}

async function worker() {
  const tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const jpeg = require('jpeg-js');
  const loadStart = performance.now();
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  const models = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const detectorOptions = new faceapi.SsdMobilenetv1Options({ minConfidence: workerData.minConfidence });

  const decode = (path) => {
    const { width, height, data } = jpeg.decode(readFileSync(path), { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    return tf.tensor3d(data, [height, width, 3], 'int32');
  };
  // face_recognition's chain on the largest face: face-api's own landmark and descriptor tasks, given that detection.
  const describe = async (tensor) => {
    const detections = await faceapi.detectAllFaces(tensor, detectorOptions);
    if (detections.length === 0) return null;
    const largest = detections.reduce((a, b) => (b.box.area > a.box.area ? b : a));
    const withDetection = Promise.resolve(faceapi.extendWithFaceDetection({}, largest));
    const described = await new faceapi.DetectSingleFaceLandmarksTask(withDetection, tensor, false).withFaceDescriptor();
    return described.descriptor;
  };
  const describeFile = async (path) => {
    const t0 = performance.now();
    let tensor;
    try {
      tensor = decode(path);
    } catch (error) {
      return { error: `cannot decode (${error.message})` };
    }
    const t1 = performance.now();
    try {
      const descriptor = await describe(tensor);
      return { face: descriptor !== null, descriptor: descriptor ? Array.from(descriptor) : null, decodeMs: t1 - t0, chainMs: performance.now() - t1 };
    } finally {
      tensor.dispose();
    }
  };

  for (let i = 0; i < workerData.warmup; i++) await describeFile(workerData.warmupPath);
  parentPort.postMessage({ ready: true, loadSeconds, backend: tf.getBackend(), threads: wasm.getThreadsCount(), simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') });
  parentPort.on('message', async (m) => {
    if (m.stop) return;
    parentPort.postMessage({ index: m.index, ...(await describeFile(m.path)) });
  });
}

if (isMainThread) {
  await main();
} else {
  await worker();
}
