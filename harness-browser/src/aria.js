// The accessibility tree under an element, as ARIA snapshots list it: each node with a role, its
// accessible name, its states and its children; elements without a role give their children to
// their parent, and text runs are merged. Defines `harnessAriaTree`; needs locator.js before it.
const harnessNameFromContent = new Set(['button', 'cell', 'checkbox', 'columnheader', 'gridcell',
  'heading', 'link', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'option', 'radio', 'row',
  'rowheader', 'switch', 'tab', 'tooltip', 'treeitem']);
const harnessAriaHidden = (el) => {
  if (el.getAttribute('aria-hidden') === 'true') return true;
  const style = getComputedStyle(el);
  return style.display === 'none' || style.visibility === 'hidden';
};
// The name a node shows: its content only for the roles named from content (a list is not named
// by its items).
const harnessAriaName = (el, role) => {
  if (harnessNameFromContent.has(role) || ['INPUT', 'SELECT', 'TEXTAREA', 'IMG'].includes(el.tagName)) {
    return harnessName(el);
  }
  const labelledBy = harnessLabelledBy(el);
  if (labelledBy !== null) return labelledBy;
  return harnessNorm(el.getAttribute('aria-label') || el.getAttribute('title') || '');
};
const harnessAriaAttributes = (el, role) => {
  const attrs = {};
  const aria = (name) => el.getAttribute('aria-' + name);
  if (['checkbox', 'radio', 'switch', 'menuitemcheckbox', 'menuitemradio'].includes(role)) {
    if (el.indeterminate || aria('checked') === 'mixed') attrs.checked = 'mixed';
    else attrs.checked = ('checked' in el ? el.checked : aria('checked') === 'true') ? 'true' : 'false';
  }
  if (el.disabled === true || aria('disabled') === 'true') attrs.disabled = 'true';
  if (aria('expanded') === 'true' || aria('expanded') === 'false') attrs.expanded = aria('expanded');
  else if (el.tagName === 'DETAILS') attrs.expanded = el.open ? 'true' : 'false';
  if (role === 'heading') {
    const level = aria('level') || (/^H[1-6]$/.test(el.tagName) ? el.tagName.slice(1) : '2');
    attrs.level = String(level);
  }
  if (['true', 'false', 'mixed'].includes(aria('pressed'))) attrs.pressed = aria('pressed');
  if (aria('selected') === 'true' || (el.tagName === 'OPTION' && el.selected)) attrs.selected = 'true';
  return attrs;
};
// Adjacent text runs merged and whitespace collapsed; empty runs dropped.
const harnessAriaFinish = (items) => {
  const out = [];
  for (const item of items) {
    if (typeof item === 'string' && typeof out[out.length - 1] === 'string') out[out.length - 1] += item;
    else out.push(item);
  }
  return out.map((item) => (typeof item === 'string' ? harnessNorm(item) : item))
    .filter((item) => item !== '');
};
const harnessAriaVisit = (node, out) => {
  if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  const el = node;
  if (harnessSkipped(el) || harnessAriaHidden(el)) return;
  let role = harnessRole(el);
  if (role === 'none' || role === 'presentation' || role === 'generic') role = null;
  let kids = [];
  if (['INPUT', 'TEXTAREA'].includes(el.tagName)) {
    if (['textbox', 'searchbox', 'spinbutton', 'combobox'].includes(role) && el.value) kids = [el.value];
  } else {
    for (const child of el.childNodes) harnessAriaVisit(child, kids);
  }
  const block = !getComputedStyle(el).display.startsWith('inline');
  if (!role) {
    // A block without a role still separates the words on either side of it.
    if (block) out.push(' ');
    out.push(...kids);
    if (block) out.push(' ');
    return;
  }
  const name = harnessAriaName(el, role);
  let children = harnessAriaFinish(kids);
  // A node whose text is its name says it once.
  if (children.length === 1 && children[0] === name) children = [];
  const entry = { role, name, attributes: harnessAriaAttributes(el, role), children };
  if (role === 'link' && el.hasAttribute('href')) entry.url = el.getAttribute('href');
  if (block) out.push(' ');
  out.push(entry);
  if (block) out.push(' ');
};
// The nodes under (and including) `root`.
const harnessAriaTree = (root) => {
  const out = [];
  harnessAriaVisit(root, out);
  return harnessAriaFinish(out);
};
