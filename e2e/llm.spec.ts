// LLM refinement against a fake provider on 127.0.0.1: edits are applied, a degrading round is
// rolled back to the exact scene before it, and the API key goes to that endpoint only.
import { test, expect, appState } from './fixture';
import { startFakeLlm, promptText, reply, type FakeLlm } from './fake-llm';
import type { Page } from '@playwright/test';

const JUDGE = {
  overall_quality: 0.4,
  similarity_to_target: 0.5,
  missing_features: ['pouch'],
  suggestions: ['add a pouch'],
};

/** Round 1 adds a pouch and darkens the tail; round 2 removes the body (much worse). */
function architect(round: number) {
  if (round === 1) {
    return {
      actions: [
        {
          type: 'add',
          shape: 'pouch',
          primitive: 'ellipse',
          init_params: { cx: 0.72, cy: 0.27, rx: 0.12, ry: 0.04, rotation: 0.1, intensity: 0.3 },
        },
        { type: 'modify', shape: 'tail', changes: { intensity: '-20%' } },
        { type: 'modify', shape: 'no_such_shape', changes: { cx: 0.5 } },
        { type: 'modify', shape: 'head', changes: { cx: 7 } },
      ],
      rationale: 'pelicans have pouches',
    };
  }
  return {
    actions: [
      { type: 'remove', shape: 'body' },
      { type: 'remove', shape: 'wing' },
    ],
    rationale: 'simplify',
  };
}

async function configure(app: Page, llm: FakeLlm, provider: 'openai' | 'anthropic', key: string) {
  await app.locator('#llm-box').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await app.selectOption('#llm-provider', provider);
  await app.fill('#llm-base', provider === 'openai' ? `${llm.url}/v1` : llm.url);
  await app.locator('#llm-base').dispatchEvent('change');
  await app.fill('#llm-model', 'fake-model-1');
  await app.locator('#llm-model').dispatchEvent('change');
  await app.fill('#llm-rounds', '2');
  await app.locator('#llm-rounds').dispatchEvent('change');
  await app.fill('#opt-steps', '60');
  await app.locator('#opt-steps').dispatchEvent('change');
  await app.fill('#llm-key', key);
}

for (const provider of ['openai', 'anthropic'] as const) {
  test(`LLM refine (${provider}): edits applied, a worse round rolled back, key sent only there`, async ({ app }) => {
    let architectCalls = 0;
    const llm = await startFakeLlm((req) => {
      const isArchitect =
        /edit_scene/.test(JSON.stringify(req.body?.tools ?? [])) || /Current scene/.test(promptText(req.body));
      return isArchitect ? architect(++architectCalls) : JUDGE;
    });
    const key = `sk-${provider}-secret-4242`;
    const leaks: string[] = [];
    app.on('request', (r) => {
      const u = new URL(r.url());
      if (u.port === new URL(llm.url).port) return;
      const all = JSON.stringify(r.headers()) + (r.postData() ?? '') + r.url();
      if (all.includes(key)) leaks.push(r.url());
    });
    try {
      await configure(app, llm, provider, key);
      const before = (await appState(app)).scene;
      await app.click('#btn-llm');
      await expect(app.locator('#stat-stage')).toHaveText('llm');
      await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 120_000 });
      await expect(app.locator('#error')).toBeHidden();

      const s = await appState(app);
      const names = s.scene.shapes.map((x) => x.name);
      expect(names).toContain('pouch');
      expect(names).toContain('body'); // round 2 removed it and was rolled back
      expect(s.scene.shapes.length).toBe(before.shapes.length + 1);
      const llmLines = s.log.filter((l) => l.text.startsWith('LLM round'));
      expect(llmLines[0].text).toMatch(
        /LLM round 1: applied — add pouch \(ellipse\), modify tail \(intensity → [\d.]+\); refused: .*no shape named 'no_such_shape'.*cx=7/,
      );
      expect(llmLines[1].text).toMatch(/LLM round 2: rolled back/);
      expect(llmLines[1].kind).toBe('reject');
      // Rolled back to the exact scene after round 1.
      const round1 = s.stages.find((x) => x.label === 'LLM round 1')!;
      expect(round1.shapes).toBe(s.scene.shapes.length);
      expect(s.stages.at(-1)!.label).toBe('LLM round 1');

      // Wire format: 2 rounds × (judge + architect); images sent to the judge; key in the right header.
      expect(llm.requests).toHaveLength(4);
      for (const r of llm.requests) {
        expect(r.body.model).toBe('fake-model-1');
        if (provider === 'openai') {
          expect(r.path).toBe('/v1/chat/completions');
          expect(r.headers.authorization).toBe(`Bearer ${key}`);
        } else {
          expect(r.path).toBe('/v1/messages');
          expect(r.headers['x-api-key']).toBe(key);
          expect(r.headers['anthropic-version']).toBeTruthy();
          expect(r.headers['anthropic-dangerous-direct-browser-access']).toBe('true');
        }
      }
      const judge = JSON.stringify(llm.requests[0].body);
      expect(judge).toMatch(
        provider === 'openai' ? /data:image\/png;base64,iVBOR/ : /"media_type":"image\/png","data":"iVBOR/,
      );
      expect(leaks).toEqual([]);
    } finally {
      await llm.close();
    }
  });
}

test('LLM refine: a provider error is reported and the scene is kept', async ({ app }) => {
  const llm = await startFakeLlm(() => ({}));
  await llm.close(); // nothing listens there any more: connection refused
  await configure(app, llm, 'openai', 'sk-x');
  const before = (await appState(app)).scene;
  await app.click('#btn-llm');
  await expect(app.locator('#error')).toContainText(/LLM refine failed.*could not be reached/s, { timeout: 60_000 });
  expect((await appState(app)).scene).toEqual(before);
});

test('LLM refine: Stop during a round ends it and leaves the scene as it was', async ({ app }) => {
  // The architect takes 4 s to answer; Stop is pressed while the page waits for it. The round's
  // edits must not land, and no further round may start.
  let architectCalls = 0;
  const llm = await startFakeLlm((req) => {
    const isArchitect =
      /edit_scene/.test(JSON.stringify(req.body?.tools ?? [])) || /Current scene/.test(promptText(req.body));
    return isArchitect ? reply({ delay_ms: 4000, answer: architect(++architectCalls) }) : JUDGE;
  });
  try {
    await configure(app, llm, 'openai', 'sk-stop');
    const before = (await appState(app)).scene;
    await app.click('#btn-llm');
    await expect.poll(() => llm.requests.length, { timeout: 60_000 }).toBe(2); // the judge, then the architect
    await app.keyboard.press('Escape');
    await expect(app.locator('#stat-stage')).toHaveText('stopped', { timeout: 20_000 });
    const s = await appState(app);
    expect(s.scene.shapes.map((x) => x.name)).toEqual(before.shapes.map((x) => x.name));
    expect(s.running).toBeNull();
    expect(llm.requests).toHaveLength(2);
    await expect(app.locator('#error')).toBeHidden();
  } finally {
    await llm.close();
  }
});

test('a plain-http LAN server is refused up front with what blocks it and how to allow it', async ({ app }) => {
  await app.locator('#llm-box').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await app.selectOption('#llm-provider', 'openai');
  await app.fill('#llm-base', 'http://192.168.1.20:8080/v1');
  await app.locator('#llm-base').dispatchEvent('change');
  await app.click('#btn-llm');
  const error = app.locator('#error');
  await expect(error).toBeVisible();
  await expect(error).toContainText("http://192.168.1.20:8080 is blocked by this page's Content-Security-Policy");
  await expect(error).toContainText('LLM_CONNECT_SRC');
  await expect(error).toContainText('ssh -N -L 8080:192.168.1.20:8080');
  await expect(error).not.toContainText('could not be reached');
  expect((await appState(app)).running).toBeNull();
});

test("switching provider does not keep the other provider's model and base URL", async ({ app }) => {
  await app.locator('#llm-box').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await expect(app.locator('#llm-model')).toHaveValue('claude-sonnet-4-5');
  await app.selectOption('#llm-provider', 'openai');
  await expect(app.locator('#llm-model')).not.toHaveValue(/claude/);
  await expect(app.locator('#llm-base')).toHaveValue('http://127.0.0.1:8080/v1');
  await app.fill('#llm-model', 'qwen-local');
  await app.locator('#llm-model').dispatchEvent('change');
  await app.selectOption('#llm-provider', 'anthropic');
  await expect(app.locator('#llm-model')).toHaveValue('claude-sonnet-4-5');
  await expect(app.locator('#llm-base')).toHaveValue('https://api.anthropic.com');
  await app.selectOption('#llm-provider', 'openai');
  await expect(app.locator('#llm-model')).toHaveValue('qwen-local');
});
