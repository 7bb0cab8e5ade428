// The tunix-rt page. Plain JavaScript, no build step. Every text that comes from the server or the
// user is inserted with textContent, never as markup.
'use strict';

(() => {
  const STATUS_REFRESH_MS = 30000;
  const STATUS_CLASSES = ['status-healthy', 'status-down', 'status-loading'];

  const byId = (id) => document.getElementById(id);
  const textarea = byId('trace-json');
  const loadButton = byId('load-example');
  const uploadButton = byId('upload');
  const fetchButton = byId('fetch');
  const messages = byId('trace-messages');
  const output = byId('trace-output');

  let busy = false;
  let uploadedId = null;

  function updateButtons() {
    loadButton.disabled = busy;
    uploadButton.disabled = busy || textarea.value.trim() === '';
    fetchButton.disabled = busy || uploadedId === null;
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // --- status cards ---------------------------------------------------------------------------

  function statusClass(status) {
    if (status === 'healthy') return 'status-healthy';
    if (status === 'down') return 'status-down';
    return 'status-loading';
  }

  function renderStatus(cardId, bodyId, label, testId, health) {
    const card = byId(cardId);
    card.classList.remove(...STATUS_CLASSES);
    card.classList.add(statusClass(health.status));
    const line = element('p', `${label}: ${health.status}`);
    line.setAttribute('data-testid', testId);
    const lines = [line];
    if (health.error) lines.push(element('p', `Error: ${health.error}`, 'error-detail'));
    byId(bodyId).replaceChildren(...lines);
  }

  async function requestJson(url, options) {
    const response = await fetch(url, {
      cache: 'no-store',
      ...options,
      headers: { Accept: 'application/json', ...(options && options.headers) },
    });
    const body = await response.json().catch(() => null);
    return { response, body };
  }

  function healthOf(settled) {
    if (settled.status === 'rejected') {
      const reason = settled.reason;
      return { status: 'down', error: (reason && reason.message) || String(reason) };
    }
    const { response, body } = settled.value;
    if (!response.ok) return { status: 'down', error: `HTTP ${response.status}` };
    if (body && typeof body.status === 'string') {
      return { status: body.status, error: typeof body.error === 'string' ? body.error : null };
    }
    return { status: 'unknown', error: null };
  }

  async function refreshStatus() {
    const [api, redi] = await Promise.allSettled([
      requestJson('/api/health'),
      requestJson('/api/redi/health'),
    ]);
    renderStatus('api-card', 'api-body', 'API', 'api-status', healthOf(api));
    renderStatus('redi-card', 'redi-body', 'RediAI', 'redi-status', healthOf(redi));
    // Scheduled after completion, so a slow RediAI probe never stacks refreshes.
    setTimeout(refreshStatus, STATUS_REFRESH_MS);
  }

  // --- traces ---------------------------------------------------------------------------------

  function showMessage(className, text) {
    messages.replaceChildren(element('div', text, className));
  }

  // The API's {"detail": ...}: a string, or a list of {loc, msg, type}.
  function describeFailure(response, body) {
    const detail = body && body.detail;
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail) && detail.length > 0) {
      return detail
        .map((item) => {
          const loc = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body') : [];
          return loc.length > 0 ? `${loc.join('.')}: ${item.msg}` : String(item.msg);
        })
        .join('; ');
    }
    return response.statusText || 'request failed';
  }

  function loadExample() {
    const example = JSON.parse(byId('example-trace').textContent);
    textarea.value = JSON.stringify(example, null, 2);
    updateButtons();
  }

  async function upload() {
    const text = textarea.value;
    try {
      JSON.parse(text);
    } catch {
      showMessage('trace-error', 'Error: Invalid JSON format');
      return;
    }
    uploadedId = null;
    messages.replaceChildren();
    output.replaceChildren();
    busy = true;
    updateButtons();
    try {
      const { response, body } = await requestJson('/api/traces', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: text,
      });
      if (response.status === 201 && body && typeof body.id === 'string') {
        uploadedId = body.id;
        showMessage('trace-success', `Success! Trace uploaded with ID: ${body.id}`);
      } else {
        showMessage(
          'trace-error',
          `Error: Upload failed: ${describeFailure(response, body)} (${response.status})`,
        );
      }
    } catch (err) {
      showMessage('trace-error', `Error: Upload failed: ${err.message} (network error)`);
    } finally {
      busy = false;
      updateButtons();
    }
  }

  async function fetchTrace() {
    if (uploadedId === null) return;
    output.replaceChildren();
    busy = true;
    updateButtons();
    try {
      const url = `/api/traces/${encodeURIComponent(uploadedId)}`;
      const { response, body } = await requestJson(url);
      if (response.ok && body) {
        const result = element('div', undefined, 'trace-result');
        result.append(
          element('h3', `Trace ${body.id}`),
          element('pre', JSON.stringify(body, null, 2)),
        );
        output.replaceChildren(result);
      } else {
        showMessage(
          'trace-error',
          `Error: Fetch failed: ${describeFailure(response, body)} (${response.status})`,
        );
      }
    } catch (err) {
      showMessage('trace-error', `Error: Fetch failed: ${err.message} (network error)`);
    } finally {
      busy = false;
      updateButtons();
    }
  }

  textarea.addEventListener('input', updateButtons);
  loadButton.addEventListener('click', loadExample);
  uploadButton.addEventListener('click', upload);
  fetchButton.addEventListener('click', fetchTrace);
  updateButtons();
  refreshStatus();
})();
