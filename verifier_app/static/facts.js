/*
 * agritrace: re-derive the facts a scan page shows from the signed entries they rest on.
 * A port of traceability/_facts.py (the rules: lifecycle, residue verdicts,
 * pre-harvest interval, cold-chain findings, hold and recall propagation); both run the
 * shared cases in tests/verifier_app/vectors/facts.json. Exposes window.agritraceFacts
 * (or module.exports under node) = { deriveFacts, compareFacts, FACT_NAMES }.
 */
(function (root) {
  "use strict";

  const FACT_NAMES = [
    "status", "product", "cooperative", "origins", "harvested", "grade", "quantity", "packed",
    "residues", "cold_chain",
    // The story (traceability/_story.py).
    "harvests", "inputs", "precool", "grade_band", "tests", "shipments", "certificates", "contact",
    "best_before", "reason",
  ];

  // Exact decimals (the bodies hold decimal strings): [BigInt digits, scale].
  function dec(text) {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text));
    if (!match) throw new Error(`expected a decimal string, got ${JSON.stringify(text)}`);
    const frac = match[3] || "";
    return [BigInt(match[1] + match[2] + frac), frac.length];
  }
  function align(a, b) {
    const scale = Math.max(a[1], b[1]);
    return [a[0] * 10n ** BigInt(scale - a[1]), b[0] * 10n ** BigInt(scale - b[1]), scale];
  }
  function cmp(a, b) {
    const [x, y] = align(dec(a), dec(b));
    return x < y ? -1 : x > y ? 1 : 0;
  }
  function absDiffAbove(value, point, tolerance) {
    const [x, y, scale] = align(dec(value), dec(point));
    const diff = x > y ? x - y : y - x;
    const [d, t] = align([diff, scale], dec(tolerance));
    return d > t;
  }
  // Python's str(Decimal(text)) for the plain decimal strings the bodies hold.
  const decText = (text) => String(text);

  const time = (text) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new Error(`expected an ISO time, got ${JSON.stringify(text)}`);
    return ms;
  };
  const ref = (body) => `${body.gtin}\u0000${body.lot}`;

  function latest(table, name) {
    if (!table.has(name)) throw new Error(`no entry for ${JSON.stringify(name)} among the lot's entries`);
    return table.get(name);
  }

  function verdict(result, limit) {
    if (limit === null) return "not_assessable";
    if (result.value === "<LOQ") return cmp(result.loq, limit) <= 0 ? "pass" : "not_assessable";
    return cmp(result.value, limit) <= 0 ? "pass" : "fail";
  }

  function precoolFindings(profile, harvested, readings, complete) {
    // A profile without pre-cooling limits (walnuts, honey) judges no cooling log.
    if (profile.precool_min_celsius === undefined || profile.precool_min_celsius === null) return [];
    const low = profile.precool_min_celsius;
    const high = profile.precool_max_celsius;
    const deadline = harvested + Number(profile.precool_within_minutes) * 60000;
    const ordered = readings.slice().sort((a, b) => time(a.time) - time(b.time));
    const inBand = (r) => cmp(low, r.celsius) <= 0 && cmp(r.celsius, high) <= 0;
    const first = ordered.find(inBand);
    if (first === undefined || time(first.time) > deadline) {
      if (!complete && ordered.every((r) => time(r.time) <= deadline)) return [];
      return ["late"];
    }
    const start = time(first.time);
    return ordered
      .filter((r) => time(r.time) > start && !inBand(r))
      .map((r) => `out|${r.time}|${r.celsius}`);
  }

  function transportFindings(tolerance, point, readings) {
    if (point === null || point === undefined) return new Set();
    return new Set(
      readings.filter((r) => absDiffAbove(r.celsius, point, tolerance)).map((r) => `${r.time}|${r.celsius}`),
    );
  }

  const adds = (now, old) => [...now].some((f) => !old.has(f));

  class Walk {
    constructor(lot) {
      this.lot = lot;
      this.parents = new Map();
      this.commodity = new Map();
      this.products = new Map();
      this.profiles = new Map();
      this.mrl = new Map();
      this.farmOfPlot = new Map();
      this.inputs = [];
      this.harvests = new Map();
      this.unit = new Map();
      this.cooling = new Map();
      this.shipments = new Map();
      this.transport = new Map();
      this.status = null;
      this.statusSeq = -1;
      this.cause = null;
      this.failed = false;
      this.passed = new Set();
      this.facts = new Map();
    }

    lineage(of = this.lot) {
      const seen = new Set();
      const todo = [of];
      while (todo.length) {
        const lot = todo.pop();
        if (seen.has(lot)) continue;
        seen.add(lot);
        for (const parent of this.parents.get(lot) || []) todo.push(parent);
      }
      return seen;
    }

    setStatus(status, seq, cause = null) {
      this.status = status;
      this.statusSeq = seq;
      this.cause = cause;
    }

    holdForward(source, seq, cause, failed = false) {
      if (this.status === null || !this.lineage().has(source)) return;
      this.failed = this.failed || failed;
      if (this.status !== "recalled" && this.status !== "consumed") this.setStatus("on_hold", seq, [cause, null]);
    }

    create(lot, seq, status = "active", cause = null) {
      if (lot === this.lot) this.setStatus(status, seq, cause === null ? null : [cause, null]);
    }

    addParent(child, parent) {
      if (!this.parents.has(child)) this.parents.set(child, new Set());
      this.parents.get(child).add(parent);
    }

    harvestedOf(lot) {
      const lineage = this.lineage(lot);
      const times = [...this.harvests].filter(([k]) => lineage.has(k)).map(([, [, b]]) => time(b.time));
      return times.length ? Math.min(...times) : null;
    }

    phiProblem(seq, body, profile) {
      const when = time(body.time);
      const daysFor = new Map(
        Object.entries(profile.pre_harvest_interval_days).map(([k, v]) => [k.toLowerCase(), v]),
      );
      for (const [inputSeq, applied] of this.inputs) {
        if (inputSeq >= seq || applied.plot !== body.plot || applied.category !== "pesticide") continue;
        const days = daysFor.get(String(applied.active_substance).toLowerCase());
        const at = time(applied.time);
        if (days === undefined || (at <= when && when - at < days * 86400000)) return true;
      }
      return false;
    }

    step(seq, kind, body) {
      switch (kind) {
        case "trace.product": this.products.set(body.gtin, [seq, body]); break;
        case "trace.profile": this.profiles.set(body.commodity, [seq, body]); break;
        case "trace.mrl": this.mrl.set(body.edition, [seq, body]); break;
        case "trace.farm": for (const plot of body.plots) this.farmOfPlot.set(plot, [seq, body]); break;
        case "trace.input": this.inputs.push([seq, body]); break;
        case "trace.harvest": {
          const lot = ref(body.lot);
          this.commodity.set(lot, latest(this.products, body.lot.gtin)[1].commodity);
          this.harvests.set(lot, [seq, body]);
          this.unit.set(lot, body.unit || "KGM");
          const profile = latest(this.profiles, this.commodity.get(lot))[1];
          const held = this.phiProblem(seq, body, profile);
          this.create(lot, seq, held ? "on_hold" : "active", held ? "phi" : null);
          break;
        }
        case "trace.cooling": this.cool(seq, body); break;
        case "trace.grading": {
          const source = ref(body.input);
          if (source === this.lot) this.setStatus("consumed", seq);
          for (const out of body.outputs) {
            const lot = ref(out.lot);
            this.addParent(lot, source);
            this.commodity.set(lot, this.commodity.get(source) || "");
            this.unit.set(lot, this.unit.get(source) || "KGM");
            this.create(lot, seq);
            if (lot === this.lot) {
              this.facts.set("grade", [out.grade, [seq]]);
              this.facts.set("quantity", [`${out.quantity} ${this.unit.get(lot)}`, [seq]]);
            }
          }
          break;
        }
        case "trace.processing": {
          const out = ref(body.output);
          for (const input of body.inputs) {
            this.addParent(out, ref(input));
            if (ref(input) === this.lot) this.setStatus("consumed", seq);
          }
          this.commodity.set(out, latest(this.products, body.output.gtin)[1].commodity);
          this.unit.set(out, body.unit || "KGM");
          this.create(out, seq);
          if (out === this.lot) this.facts.set("quantity", [`${body.quantity} ${this.unit.get(out)}`, [seq]]);
          break;
        }
        case "trace.intake": {
          // A lot taken in from another member's log: this log's own lot from here on.
          const lot = ref(body.lot);
          this.commodity.set(lot, latest(this.products, body.lot.gtin)[1].commodity);
          this.unit.set(lot, body.unit || "KGM");
          this.create(lot, seq);
          if (lot === this.lot) this.facts.set("quantity", [`${body.quantity} ${this.unit.get(lot)}`, [seq]]);
          break;
        }
        case "trace.residue": this.residue(seq, body); break;
        case "trace.packing":
          if (body.lots.some((r) => ref(r) === this.lot) && !this.facts.has("packed")) {
            this.facts.set("packed", [String(body.time), [seq]]);
          }
          break;
        case "trace.shipping":
          this.shipments.set(body.shipment, body);
          if (body.lots.some((r) => ref(r) === this.lot)) this.setStatus("shipped", seq);
          break;
        case "trace.receiving": this.receive(seq, body); break;
        case "trace.hold": if (ref(body.lot) === this.lot) this.setStatus("on_hold", seq, ["hold", String(body.reason)]); break;
        case "trace.release": {
          if (ref(body.lot) !== this.lot) break;
          // Refused by the projection after a failed result or without every required pass.
          const profile = latest(this.profiles, this.commodity.get(this.lot))[1];
          const required = profile.required_substances.map((x) => String(x).toLowerCase());
          if (!this.failed && required.every((x) => this.passed.has(x))) this.setStatus("released", seq);
          break;
        }
        case "trace.recall":
          if (this.status !== null && this.lineage().has(ref(body.lot))) this.setStatus("recalled", seq, ["recall", String(body.reason)]);
          break;
        default: break;
      }
    }

    cool(seq, body) {
      const lot = ref(body.lot);
      const harvested = this.harvestedOf(lot);
      if (harvested === null) return;
      const [before, complete] = this.cooling.get(lot) || [[], false];
      const more = Boolean(body.more_readings);
      const now = before.concat(body.readings);
      this.cooling.set(lot, [now, complete || !more]);
      const profile = latest(this.profiles, this.commodity.get(lot))[1];
      const old = new Set(precoolFindings(profile, harvested, before, complete));
      if (adds(precoolFindings(profile, harvested, now, complete || !more), old)) this.holdForward(lot, seq, "precool");
    }

    residue(seq, body) {
      const lot = ref(body.lot);
      const commodity = this.commodity.get(lot);
      if (commodity === undefined) throw new Error(`no entry creates the lot ${body.lot.lot}`);
      const profile = latest(this.profiles, commodity)[1];
      const [tableSeq, table] = latest(this.mrl, profile.mrl_edition);
      let failed = false;
      for (const result of body.results) {
        const substance = String(result.substance);
        const row = table.rows.find(
          (r) => r.commodity === commodity && String(r.substance).toLowerCase() === substance.toLowerCase(),
        );
        const limit = row === undefined ? null : String(row.limit_mg_per_kg);
        const outcome = verdict(result, limit);
        failed = failed || outcome === "fail";
        if (this.lineage().has(lot)) {
          if (outcome === "pass") this.passed.add(substance.toLowerCase());
          const [lines, seqs] = this.facts.get("residues") || [[], []];
          lines.push({
            substance, value: String(result.value), loq: String(result.loq), limit, outcome,
            edition: String(table.edition), lab: String(body.lab), sample_id: String(body.sample_id),
          });
          this.facts.set("residues", [lines, seqs.concat([seq, tableSeq])]);
        }
      }
      if (failed) this.holdForward(lot, seq, "residue", true);
    }

    receive(seq, body) {
      const shipment = this.shipments.get(body.shipment);
      if (shipment === undefined) return;
      const final = !body.more_readings;
      const before = this.transport.get(body.shipment) || [];
      const now = before.concat(body.readings || []);
      this.transport.set(body.shipment, now);
      const lots = shipment.lots.map(ref);
      if (final && lots.includes(this.lot) && this.status !== "on_hold") this.setStatus("received", seq);
      const lineage = this.lineage();
      for (const lot of new Set(lots)) {
        if (!lineage.has(lot)) continue;
        const profile = latest(this.profiles, this.commodity.get(lot))[1];
        const tolerance = profile.transport_tolerance_celsius;
        if (tolerance === undefined || tolerance === null) continue; // no transport limits
        const point = shipment.set_point_celsius;
        const old = transportFindings(tolerance, point, before);
        if (adds(transportFindings(tolerance, point, now), old)) this.holdForward(lot, seq, "transport");
      }
    }
  }

  function range(readings) {
    if (!readings.length) return "no readings";
    const values = readings.map((r) => r.celsius).slice().sort(cmp);
    return `${decText(values[0])} to ${decText(values[values.length - 1])} °C`;
  }

  function coldChain(ordered) {
    const logs = new Map();
    const lines = new Map();
    const seqs = [];
    for (const { seq, kind, body } of ordered) {
      let key;
      if (kind === "trace.cooling") {
        key = JSON.stringify(["cooling", body.lot.gtin, body.lot.lot, body.site]);
        if (!logs.has(key)) logs.set(key, []);
        const readings = logs.get(key);
        readings.push(...body.readings);
        let last = readings[0];
        for (const r of readings.slice(1)) if (r.time > last.time) last = r;
        const when = String(last.time).slice(0, 16).replace("T", " ");
        lines.set(key, `pre-cooling at ${body.site}: core ${last.celsius} °C at ${when} ` +
          `(${readings.length} readings, ${range(readings)})`);
      } else if (kind === "trace.shipping") {
        const point = body.set_point_celsius;
        const at = point !== null && point !== undefined ? ` at set point ${point} °C` : "";
        key = JSON.stringify(["shipping", body.shipment]);
        lines.set(key, `shipment ${body.shipment} to ${body.destination}${at}`);
      } else if (kind === "trace.receiving") {
        key = JSON.stringify(["receiving", body.shipment]);
        if (!logs.has(key)) logs.set(key, []);
        const readings = logs.get(key);
        readings.push(...(body.readings || []));
        const logger = `logger ${range(readings)} (${readings.length} readings)`;
        if (body.more_readings) {
          lines.set(key, `in transit ${body.shipment}: ${logger} so far`);
        } else {
          const when = String(body.time).slice(0, 16).replace("T", " ");
          lines.set(key, `received ${body.shipment} at ${body.receiver} ${when}: ${logger}`);
        }
      } else {
        continue;
      }
      seqs.push(seq);
    }
    return [[...lines.values()], seqs];
  }


  // The story facts: traceability/_story.py, rule for rule.
  const byTime = (readings) => readings.slice().sort((a, b) => time(a.time) - time(b.time))
    .map((r) => ({ time: String(r.time), celsius: String(r.celsius) }));
  const inBandOf = (low, high) => (r) => cmp(low, r.celsius) <= 0 && cmp(r.celsius, high) <= 0;

  function story(walk, ordered) {
    const lineage = walk.lineage();
    const commodityOf = new Map();
    const profiles = new Map();
    const profileOf = (commodity) => (commodity === undefined ? undefined : profiles.get(commodity));
    const out = {
      harvests: [[], []], inputs: [[], []], precool: [[], []], shipments: [[], []],
      certificates: [[], []], tests: [[], []],
    };
    const inputs = [];
    const logs = new Map();
    const ships = new Map();
    for (const { seq, kind, body } of ordered) {
      if (kind === "trace.product") commodityOf.set(String(body.gtin), String(body.commodity));
      else if (kind === "trace.profile") profiles.set(String(body.commodity), body);
      else if (kind === "trace.input") inputs.push([seq, body]);
      else if (kind === "trace.harvest" && lineage.has(ref(body.lot))) {
        out.harvests[0].push({
          lot: body.lot.lot, plot: String(body.plot), variety: String(body.variety),
          time: String(body.time), quantity: String(body.quantity), unit: String(body.unit || "KGM"),
        });
        out.harvests[1].push(seq);
        const profile = profileOf(commodityOf.get(String(body.lot.gtin)));
        const daysFor = new Map(Object.entries(profile ? profile.pre_harvest_interval_days : {})
          .map(([k, v]) => [k.toLowerCase(), Number(v)]));
        const when = time(body.time);
        for (const [inputSeq, applied] of inputs) {
          const at = time(applied.time);
          if (applied.plot !== body.plot || at > when) continue;
          const waited = when - at;
          const pesticide = applied.category === "pesticide";
          const phi = pesticide ? daysFor.get(String(applied.active_substance).toLowerCase()) : undefined;
          out.inputs[0].push({
            plot: String(applied.plot), category: String(applied.category),
            product: String(applied.product_name), substance: String(applied.active_substance),
            dose: String(applied.dose), dose_unit: String(applied.dose_unit), time: String(applied.time),
            days_before_harvest: Math.floor(waited / 86400000),
            phi_days: phi === undefined ? null : phi,
            phi_kept: !pesticide ? null : phi !== undefined && waited >= phi * 86400000,
          });
          out.inputs[1].push(inputSeq);
        }
      } else if (kind === "trace.grading") {
        for (const graded of body.outputs) {
          if (ref(graded.lot) !== walk.lot) continue;
          const profile = profileOf(walk.commodity.get(walk.lot));
          const band = (profile ? profile.grades : []).find((b) => b.name === graded.grade);
          if (band === undefined) continue;
          const end = (k) => (band[k] === undefined || band[k] === null ? null : String(band[k]));
          out.grade_band = [{ grade: String(graded.grade), min_mm: end("min_mm"), max_mm: end("max_mm") }, [seq]];
        }
      } else if (kind === "trace.cooling" && lineage.has(ref(body.lot))) {
        const lot = ref(body.lot);
        const first = [...walk.harvests].filter(([k]) => walk.lineage(lot).has(k)).map(([, [, b]]) => String(b.time))
          .sort((a, b) => time(a) - time(b))[0];
        const profile = profileOf(walk.commodity.get(lot));
        // A profile without a cold chain (nuts, honey) sets no band to reach: no pre-cooling step.
        if (first === undefined || profile === undefined || profile.precool_min_celsius == null) continue;
        const key = JSON.stringify([lot, String(body.site)]);
        if (!logs.has(key)) {
          logs.set(key, { lot: body.lot.lot, site: String(body.site), readings: [] });
          out.precool[0].push(logs.get(key));
        }
        const line = logs.get(key);
        const low = String(profile.precool_min_celsius);
        const high = String(profile.precool_max_celsius);
        const readings = byTime(line.readings.concat(body.readings));
        const hit = readings.find(inBandOf(low, high));
        Object.assign(line, {
          low, high, within_minutes: Number(profile.precool_within_minutes), harvested: first,
          reached_minutes: hit === undefined ? null : Math.floor((time(hit.time) - time(first)) / 60000),
          readings,
        });
        out.precool[1].push(seq);
      } else if (kind === "trace.shipping") {
        let tolerance = null;
        for (const r of body.lots) {
          const profile = profileOf(walk.commodity.get(ref(r)));
          if (profile !== undefined) {
            // A profile without a cold chain allows any temperature on the road: no band.
            const allowed = profile.transport_tolerance_celsius;
            tolerance = allowed === undefined || allowed === null ? null : String(allowed);
            break;
          }
        }
        const point = body.set_point_celsius;
        const line = {
          shipment: String(body.shipment), origin: String(body.origin), destination: String(body.destination),
          set_point: point === undefined || point === null ? null : String(point), tolerance,
          shipped: String(body.time), receiver: null, received: null, readings: byTime(body.readings || []),
        };
        ships.set(line.shipment, line);
        out.shipments[0].push(line);
        out.shipments[1].push(seq);
      } else if (kind === "trace.receiving" && ships.has(body.shipment)) {
        const line = ships.get(body.shipment);
        line.readings = byTime(line.readings.concat(body.readings || []));
        line.receiver = String(body.receiver);
        if (!body.more_readings) line.received = String(body.time);
        out.shipments[1].push(seq);
      } else if (kind === "trace.residue" && lineage.has(ref(body.lot))) {
        out.tests[0].push({
          lot: String(body.lot.lot), sample_id: String(body.sample_id), lab: String(body.lab),
          method: String(body.method), time: String(body.time),
        });
        out.tests[1].push(seq);
      } else if (kind === "trace.certificate" && ref(body.lot) === walk.lot) {
        out.certificates[0].push({ number: seq, time: String(body.time) });
        out.certificates[1].push(seq);
      } else if (kind === "trace.cooperative") {
        const contact = {};
        for (const k of ["phone", "address", "county"]) contact[k] = body[k] === undefined ? null : body[k];
        out.contact = [contact, [seq]];
      }
    }
    // Harvest date (GS1 AI 7007) plus the profile's shelf life: the best-before (AI 15).
    const profile = profileOf(walk.commodity.get(walk.lot));
    const days = profile === undefined ? undefined : profile.shelf_life_days;
    const harvests = [...walk.harvests].filter(([k]) => lineage.has(k)).map(([, [seq, b]]) => [seq, String(b.time)]);
    out.best_before = [null, []];
    if (days !== undefined && days !== null && harvests.length) {
      const first = harvests.map(([, t]) => t.slice(0, 10)).sort()[0];
      const date = new Date(Date.parse(`${first}T00:00:00Z`) + Number(days) * 86400000);
      out.best_before = [{ date: date.toISOString().slice(0, 10), shelf_life_days: Number(days) }, harvests.map(([seq]) => seq)];
    }
    let cause = walk.cause;
    if (cause === null && walk.status === "active") cause = ["pending", null];
    out.reason = cause === null ? [null, []] : [{ code: cause[0], text: cause[1] }, [walk.statusSeq]];
    return out;
  }

  // entries: [{seq, kind, body}]; returns {name: [value, [seqs]]} for every FACT_NAMES.
  function deriveFacts(entries, gtin, lotCode) {
    const walk = new Walk(`${gtin}\u0000${lotCode}`);
    const ordered = entries.slice().sort((a, b) => a.seq - b.seq);
    // The lineage first: a result on a harvest lot counts for the lots graded from it later.
    for (const { kind, body } of ordered) {
      if (kind === "trace.grading") for (const out of body.outputs) walk.addParent(ref(out.lot), ref(body.input));
      if (kind === "trace.processing") for (const input of body.inputs) walk.addParent(ref(body.output), ref(input));
    }
    for (const { seq, kind, body } of ordered) {
      try {
        walk.step(seq, kind, body);
      } catch (error) {
        if (error instanceof TypeError) throw new Error(`entry ${seq} (${kind}) lacks a member it needs`);
        throw error;
      }
    }
    const facts = new Map(walk.facts);
    if (!facts.has("residues")) facts.set("residues", [[], []]);
    facts.set("status", [walk.status, walk.status === null ? [] : [walk.statusSeq]]);
    const product = walk.products.get(gtin);
    facts.set("product", product ? [product[1].name, [product[0]]] : [null, []]);
    const coops = ordered.filter((e) => e.kind === "trace.cooperative");
    if (coops.length) {
      const { seq, body } = coops[coops.length - 1];
      const names = {};
      for (const k of ["name_zh", "name_ug", "name_en"]) names[k] = body[k] === undefined ? null : body[k];
      facts.set("cooperative", [names, [seq]]);
    }
    const lineage = walk.lineage();
    const origins = [];
    const seqs = [];
    const times = [];
    for (const lot of [...walk.harvests.keys()].filter((k) => lineage.has(k)).sort()) {
      const [seq, body] = walk.harvests.get(lot);
      times.push(String(body.time));
      seqs.push(seq);
      const farm = walk.farmOfPlot.get(body.plot);
      if (farm) {
        seqs.push(farm[0]);
        const f = farm[1];
        origins.push({ plot: body.plot, farm: f.farm, grower: f.grower, village: f.village, county: f.county });
      }
    }
    facts.set("origins", [origins, seqs]);
    facts.set("harvested", [times.length ? times.sort()[0].slice(0, 10) : null, seqs]);
    if (walk.harvests.has(walk.lot)) {
      const [seq, body] = walk.harvests.get(walk.lot);
      facts.set("quantity", [`${body.quantity} ${body.unit || "KGM"}`, [seq]]);
    }
    facts.set("cold_chain", coldChain(ordered));
    for (const [name, fact] of Object.entries(story(walk, ordered))) facts.set(name, fact);
    const out = {};
    for (const name of FACT_NAMES) out[name] = facts.get(name) || [null, []];
    return out;
  }

  // Python's json.dumps(sort_keys=True, ensure_ascii=False) shape, lists as sorted multisets.
  function sortKeys(value) {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value === null || typeof value !== "object") return value === undefined ? null : value;
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  function canonical(value) {
    if (Array.isArray(value)) return JSON.stringify(value.map(canonical).sort());
    return JSON.stringify(sortKeys(value));
  }

  // The facts that differ: [{fact, shown, derived}].
  function compareFacts(shown, derived) {
    return FACT_NAMES.filter((name) => canonical(shown[name]) !== canonical(derived[name][0])).map(
      (name) => ({ fact: name, shown: shown[name] === undefined ? null : shown[name], derived: derived[name][0] }),
    );
  }

  const api = { deriveFacts, compareFacts, FACT_NAMES };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.agritraceFacts = api;
})(typeof window === "object" ? window : globalThis);
