#!/usr/bin/env node
// Twilio's reference segment calculator (npm sms-segments-calculator), as an oracle for
// tests/test_segments_differential.py.
//
//   node segments_oracle.js            stdin: one JSON object per line {"text": "...", "smart": bool}
//                                      stdout: one JSON object per line
//                                      {"encoding", "segments", "characters", "non_gsm"}
//   node segments_oracle.js --tables   stdout: one JSON object with the package's own tables:
//                                      {"gsm": {code: septets}, "smart": {char: replacement},
//                                       "breaks": [[first, last, propertyName], ...]}
//
// Install once with `npm ci --prefix tests/oracle`.
'use strict';

const fs = require('fs');
const { SegmentedMessage } = require('sms-segments-calculator');

function tables() {
  const gsmMap = require('sms-segments-calculator/dist/libs/UnicodeToGSM').default;
  const smart = require('sms-segments-calculator/dist/libs/SmartEncodingMap').default;
  const gsm = {};
  for (const [code, units] of Object.entries(gsmMap)) gsm[code] = units.length;

  // grapheme-splitter keeps its property function private: expose it from the real source.
  const source = fs.readFileSync(require.resolve('grapheme-splitter'), 'utf8').replace(
    'this.nextBreak = function',
    'this.breakProperty = getGraphemeBreakProperty;\n\tthis.nextBreak = function',
  );
  const module_ = { exports: {} };
  new Function('module', source)(module_);
  const splitter = new module_.exports();
  const names = ['CR', 'LF', 'Control', 'Extend', 'Regional_Indicator', 'SpacingMark', 'L', 'V',
    'T', 'LV', 'LVT', 'Other', 'Prepend', 'E_Base', 'E_Modifier', 'ZWJ', 'Glue_After_Zwj',
    'E_Base_GAZ'];
  // getGraphemeBreakProperty only compares the code point with hex literals (`lo <= code &&
  // code <= hi`, `c == code`), so it is constant between consecutive literals: evaluating it
  // at every literal and literal + 1 gives its exact ranges without 1.1 million calls.
  const body = source.slice(source.indexOf('function getGraphemeBreakProperty'));
  const edges = new Set([0]);
  for (const literal of body.match(/0x[0-9A-Fa-f]+/g)) {
    edges.add(parseInt(literal, 16));
    edges.add(parseInt(literal, 16) + 1);
  }
  const points = [...edges].filter((code) => code <= 0x10ffff).sort((a, b) => a - b);
  const breaks = [];
  points.forEach((first, i) => {
    const last = i + 1 < points.length ? points[i + 1] - 1 : 0x10ffff;
    const name = names[splitter.breakProperty(first)];
    const previous = breaks[breaks.length - 1];
    if (previous && previous[2] === name && previous[1] === first - 1) previous[1] = last;
    else breaks.push([first, last, name]);
  });
  return { gsm, smart, breaks: breaks.filter(([, , name]) => name !== 'Other') };
}

function analyze(request) {
  const message = new SegmentedMessage(request.text, 'auto', Boolean(request.smart));
  return {
    encoding: message.encodingName,
    segments: message.segmentsCount,
    characters: message.numberOfCharacters,
    non_gsm: message.getNonGsmCharacters(),
  };
}

if (process.argv.includes('--tables')) {
  process.stdout.write(JSON.stringify(tables()) + '\n');
} else {
  const input = fs.readFileSync(0, 'utf8');
  const out = [];
  for (const line of input.split('\n')) {
    if (line.trim() !== '') out.push(JSON.stringify(analyze(JSON.parse(line))));
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}
