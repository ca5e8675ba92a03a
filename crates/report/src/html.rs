//! The self-contained HTML page: inline CSS, inline SVG (the dependency
//! graph laid out by [`crate::layout`], the wave timeline) and a small
//! inline script for zoom, pan, filter and highlight only. No element loads
//! anything from the network; without the script (a mail preview) every
//! table is complete and the graph shows whole.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use azrelo_plan::estimate::format_minutes;
use azrelo_plan::report::{principal, reasons, short};
use azrelo_plan::{Action, Severity};

use crate::layout::{self, COL, Item, NODE_H, NODE_W};
use crate::model::{EdgeFamily, Report};

/// HTML-escape text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Rows of the long tables (findings, gates, resources) written into the
/// page; a bigger estate's page points at the spreadsheets for the rest
/// (a page with tens of thousands of rows would take many seconds to open).
pub const HTML_ROWS: usize = 1000;

fn rest_note(o: &mut String, total: usize, what: &str) {
    if total > HTML_ROWS {
        let _ = write!(
            o,
            "<p class=\"muted\">The first {HTML_ROWS} of {total} {what} are shown (the filter searches them); every row is in the spreadsheets: <code>azrelo report DIR --format xlsx</code> or <code>--format csv</code>.</p>"
        );
    }
}

/// Wave colours (cycled).
const WAVE_COLOURS: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#86bcb6", "#d37295",
];

fn wave_colour(layer: usize) -> &'static str {
    WAVE_COLOURS[layer % WAVE_COLOURS.len()]
}

fn family_colour(f: EdgeFamily) -> &'static str {
    match f {
        EdgeFamily::Structure => "#7f7f7f",
        EdgeFamily::Network => "#1f77b4",
        EdgeFamily::Identity => "#9467bd",
        EdgeFamily::Data => "#d62728",
        EdgeFamily::Monitoring => "#2ca02c",
        EdgeFamily::Reference => "#bcbd22",
    }
}

const CSS: &str = r#"
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#f6f7f9;--card:#fff;--bad:#b42318;--warn:#b54708;--ok:#067647}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header .meta{color:#c5cad6;font-size:12.5px}
nav{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid var(--line);padding:6px 28px;font-size:13px}
nav a{color:#344054;margin-right:14px;text-decoration:none}
nav a:hover{text-decoration:underline}
main{padding:16px 28px 40px;max-width:1500px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:0 0 16px}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:14.5px;margin:14px 0 6px}
.verdict{display:inline-block;padding:4px 10px;border-radius:14px;font-weight:600;font-size:13px;margin-bottom:8px}
.verdict.bad{background:#fee4e2;color:var(--bad)}.verdict.ok{background:#dcfae6;color:var(--ok)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 12px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:128px}
.card b{display:block;font-size:20px}
.card span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;font-size:12.8px}
th,td{border-bottom:1px solid var(--line);padding:5px 7px;text-align:left;vertical-align:top}
th{background:#f2f4f7;position:sticky;top:33px;z-index:1}
td.num{text-align:right;white-space:nowrap}
.sev-blocker{color:var(--bad);font-weight:600}.sev-warning{color:var(--warn);font-weight:600}.sev-info{color:var(--muted)}
.muted{color:var(--muted)}
code,.id{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:0 0 8px;font-size:12.5px}
.filters input[type=search]{width:220px;padding:3px 6px}
.count{color:var(--muted);font-size:12px}
#graph-wrap{position:relative;height:620px;border:1px solid var(--line);border-radius:6px;background:#fcfcfd;overflow:hidden;cursor:grab}
#graph{width:100%;height:100%;display:block;user-select:none}
#graph .lane{fill:#f4f6fa}#graph .lane.alt{fill:#eceff5}
#graph .lane-label{font-size:11px;fill:#5b6475;font-weight:600}
#graph .col-label{font-size:11px;fill:#5b6475}
#graph .n rect{stroke:#1d2330;stroke-width:.6}
#graph .n text{font-size:10.5px;fill:#fff;pointer-events:none}
#graph .n.light text{fill:#1d2330}
#graph .e{fill:none;stroke-width:1.1;opacity:.55}
#graph .f-structure{stroke:#7f7f7f;marker-end:url(#a-structure)}#graph .f-network{stroke:#1f77b4;marker-end:url(#a-network)}#graph .f-identity{stroke:#9467bd;marker-end:url(#a-identity)}#graph .f-data{stroke:#d62728;marker-end:url(#a-data)}#graph .f-monitoring{stroke:#2ca02c;marker-end:url(#a-monitoring)}#graph .f-reference{stroke:#bcbd22;marker-end:url(#a-reference)}
#graph .dim{opacity:.12}
#graph .n.hit rect{stroke:#000;stroke-width:2.4}
#graph .n.focus rect{stroke:#000;stroke-width:2.4}
#graph .e.focus{opacity:1;stroke-width:2}
#graph.far text{display:none}
#graph .off{display:none}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;margin:6px 0}
.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:4px}
.legend .sw{width:12px;height:12px;border-radius:2px}
.tl-label{font-size:11.5px;fill:#1d2330}.tl-val{font-size:11px;fill:#5b6475}
details{margin:4px 0}summary{cursor:pointer}
footer{color:var(--muted);font-size:12px;padding:0 28px 28px}
@media print{nav,.filters,.gctl{display:none}#graph-wrap{height:auto}th{position:static}}
"#;

const ERRORS_JS: &str = r#"(function(){var d=document.documentElement,errs=[];function rec(m){errs.push(String(m));d.setAttribute('data-errors',errs.join(' | '));}
window.addEventListener('error',function(e){rec(e.message||e.type);});
window.addEventListener('unhandledrejection',function(e){rec(e.reason);});
var ce=console.error;console.error=function(){rec(Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};})();"#;

const MAIN_JS: &str = r#"(function(){
var d=document;
function $(s,r){return (r||d).querySelector(s);}function $$(s,r){return Array.prototype.slice.call((r||d).querySelectorAll(s));}
/* tables: text + select filters */
$$('[data-filter-for]').forEach(function(box){
  var t=$('#'+box.getAttribute('data-filter-for'));if(!t)return;
  var rows=$$('tbody tr',t),ctl=$$('input,select',box),cnt=$('.count',box);
  function apply(){var q='',sel={};ctl.forEach(function(c){if(c.type==='search')q=c.value.toLowerCase();else if(c.value)sel[c.name]=c.value;});
    var shown=0;rows.forEach(function(r){var ok=(!q||r.textContent.toLowerCase().indexOf(q)>=0);
      for(var k in sel){if(r.getAttribute('data-'+k)!==sel[k])ok=false;}
      r.style.display=ok?'':'none';if(ok)shown++;});
    if(cnt)cnt.textContent=shown+' of '+rows.length;}
  ctl.forEach(function(c){c.addEventListener('input',apply);c.addEventListener('change',apply);});apply();});
/* graph */
var svg=$('#graph');if(!svg){d.documentElement.setAttribute('data-ready','1');return;}
var wrap=$('#graph-wrap'),W=+svg.getAttribute('data-w'),H=+svg.getAttribute('data-h');
var nodes=$$('g.n',svg),edges=$$('path.e',svg),adj={};
edges.forEach(function(e){var f=e.getAttribute('data-f'),t=e.getAttribute('data-t');(adj[f]=adj[f]||[]).push(e);(adj[t]=adj[t]||[]).push(e);});
var vb={x:0,y:0,w:W,h:H};
function set(){svg.setAttribute('viewBox',vb.x+' '+vb.y+' '+vb.w+' '+vb.h);
  var s=wrap.clientWidth/vb.w;svg.classList.toggle('far',s<0.35);}
function start(){var cw=wrap.clientWidth||1200,ch=wrap.clientHeight||620,s=Math.max(cw/W,Math.min(0.8,cw/W*4));
  if(cw/W>=0.6)s=cw/W;vb={x:0,y:0,w:cw/s,h:ch/s};set();}
function fit(){var cw=wrap.clientWidth||1200,ch=wrap.clientHeight||620,s=Math.min(cw/W,ch/H);vb={x:0,y:0,w:cw/s,h:ch/s};set();}
function zoom(f,cx,cy){var nx=vb.x+(cx-vb.x)*(1-f),ny=vb.y+(cy-vb.y)*(1-f);vb={x:nx,y:ny,w:vb.w*f,h:vb.h*f};set();}
function pt(ev){var r=svg.getBoundingClientRect();return{x:vb.x+(ev.clientX-r.left)/r.width*vb.w,y:vb.y+(ev.clientY-r.top)/r.height*vb.h};}
svg.addEventListener('wheel',function(ev){ev.preventDefault();var p=pt(ev);zoom(ev.deltaY>0?1.15:1/1.15,p.x,p.y);},{passive:false});
var drag=null;
svg.addEventListener('pointerdown',function(ev){drag={x:ev.clientX,y:ev.clientY,vx:vb.x,vy:vb.y,moved:false};});
window.addEventListener('pointermove',function(ev){if(!drag)return;var r=svg.getBoundingClientRect(),dx=(ev.clientX-drag.x)/r.width*vb.w,dy=(ev.clientY-drag.y)/r.height*vb.h;
  if(Math.abs(ev.clientX-drag.x)+Math.abs(ev.clientY-drag.y)>3)drag.moved=true;vb.x=drag.vx-dx;vb.y=drag.vy-dy;set();});
window.addEventListener('pointerup',function(){setTimeout(function(){drag=null;},0);});
$$('[data-zoom]').forEach(function(b){b.addEventListener('click',function(){var z=b.getAttribute('data-zoom');
  if(z==='fit')fit();else if(z==='reset')start();else zoom(z==='in'?1/1.3:1.3,vb.x+vb.w/2,vb.y+vb.h/2);});});
var fw=$('#g-wave'),fg=$('#g-rg'),fq=$('#g-search'),fam=$$('input[data-family]');
function filter(){var w=fw?fw.value:'',g=fg?fg.value:'',q=fq?fq.value.toLowerCase():'',hits=[];
  var off={};fam.forEach(function(c){if(!c.checked)off[c.getAttribute('data-family')]=1;});
  nodes.forEach(function(n){var ok=(!w||n.getAttribute('data-wave')===w)&&(!g||n.getAttribute('data-rg')===g);
    n.classList.toggle('dim',!ok);var hit=!!q&&n.getAttribute('data-name').indexOf(q)>=0;n.classList.toggle('hit',hit);if(hit)hits.push(n);});
  edges.forEach(function(e){var fm=(e.getAttribute('class').match(/f-(\w+)/)||[])[1];e.classList.toggle('off',!!off[fm]);
    var a=nodes[+e.getAttribute('data-f')],b=nodes[+e.getAttribute('data-t')];
    e.classList.toggle('dim',a.classList.contains('dim')||b.classList.contains('dim'));});
  if(hits.length){var t=hits[0].transform.baseVal.consolidate().matrix;vb.x=t.e-vb.w/3;vb.y=t.f-vb.h/3;set();}}
[fw,fg,fq].forEach(function(c){if(c){c.addEventListener('input',filter);c.addEventListener('change',filter);}});
fam.forEach(function(c){c.addEventListener('change',filter);});
var focused=null;
nodes.forEach(function(n,i){n.addEventListener('click',function(){if(drag&&drag.moved)return;
  $$('.focus',svg).forEach(function(x){x.classList.remove('focus');});
  if(focused===i){focused=null;nodes.forEach(function(m){m.classList.remove('dim');});edges.forEach(function(e){e.classList.remove('dim');});filter();return;}
  focused=i;var keep={};keep[i]=1;(adj[i]||[]).forEach(function(e){keep[e.getAttribute('data-f')]=1;keep[e.getAttribute('data-t')]=1;e.classList.add('focus');});
  nodes.forEach(function(m,j){m.classList.toggle('dim',!keep[j]);});n.classList.add('focus');
  edges.forEach(function(e){e.classList.toggle('dim',!e.classList.contains('focus'));});});});
start();filter();
svg.setAttribute('data-nodes',String(nodes.length));svg.setAttribute('data-edges',String(edges.length));
var br=svg.getBoundingClientRect(),nr=nodes.length?nodes[0].getBoundingClientRect():br;svg.setAttribute('data-visible',(br.width>0&&br.height>0&&nr.width>0&&nr.height>0)?'1':'0');
d.documentElement.setAttribute('data-ready','1');
})();"#;

fn option_list(o: &mut String, id: &str, name: &str, label: &str, values: &[(String, String)]) {
    let _ = write!(
        o,
        "<label>{label} <select id=\"{id}\" name=\"{name}\"><option value=\"\">all</option>"
    );
    for (v, text) in values {
        let _ = write!(o, "<option value=\"{}\">{}</option>", esc(v), esc(text));
    }
    o.push_str("</select></label>");
}

/// Render the report.
pub fn render(r: &Report) -> String {
    let plan = &r.plan;
    let mut o = String::with_capacity(64 * 1024 + plan.resources.len() * 900);
    let src = if plan.source_regions.is_empty() {
        "(no regional resources)".to_string()
    } else {
        plan.source_regions.join(", ")
    };
    let target = plan
        .target
        .display_name
        .clone()
        .unwrap_or_else(|| plan.target.region.clone());
    let title = format!("Relocation plan: {src} → {target}");
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"generator\" content=\"{}\"><title>{}</title><script>{ERRORS_JS}</script><style>{CSS}</style></head><body>",
        esc(&plan.generator),
        esc(&title)
    );
    let _ = write!(
        o,
        "<header><h1>{}</h1><div class=\"meta\">{} · plan schema {} · provider snapshot {} · built-in roles as of {} · {}</div></header>",
        esc(&title),
        esc(&plan.generator),
        esc(&plan.schema),
        esc(&plan.availability_snapshot),
        esc(azrelo_arm::roles::builtin_roles_as_of()),
        if r.run.is_some() {
            "run state from the journal"
        } else {
            "no run yet"
        }
    );
    o.push_str("<nav><a href=\"#summary\">Summary</a><a href=\"#graph-section\">Dependency graph</a><a href=\"#timeline\">Timeline</a><a href=\"#gates\">Gates</a><a href=\"#findings\">Findings</a><a href=\"#resources\">Resources</a><a href=\"#roles\">Role assignments</a><a href=\"#checklist\">Checklist</a><a href=\"#procedures\">Procedures</a></nav><main>");
    summary(&mut o, r);
    graph(&mut o, r);
    timeline(&mut o, r);
    gates(&mut o, r);
    findings(&mut o, r);
    resources(&mut o, r);
    roles(&mut o, r);
    checklist(&mut o, r);
    procedures(&mut o, r);
    let _ = write!(
        o,
        "</main><footer>Downtime and wave durations are estimates from the relocation catalog's planned durations (durations.toml), each with its basis; real durations come from events.jsonl. Role names from Azure's built-in role definitions as of {}. Availability from the provider snapshot of {}. Self-contained page: nothing is loaded from the network.</footer><script>{MAIN_JS}</script></body></html>",
        esc(azrelo_arm::roles::builtin_roles_as_of()),
        esc(&plan.availability_snapshot)
    );
    o.push('\n');
    o
}

fn summary(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let s = &plan.summary;
    o.push_str("<section id=\"summary\"><h2>Executive summary</h2>");
    if s.blockers > 0 {
        let _ = write!(
            o,
            "<div class=\"verdict bad\">Not ready: {} blocker(s) must be resolved before the move</div>",
            s.blockers
        );
    } else {
        o.push_str("<div class=\"verdict ok\">No blockers</div>");
    }
    let before = r.gates.iter().filter(|g| g.before_move).count();
    let total_planned: u32 = r.waves.iter().map(|w| w.planned.minutes).sum();
    let worst = r.downtime.iter().map(|d| d.minutes[1]).max().unwrap_or(0);
    o.push_str("<div class=\"cards\">");
    for (v, l) in [
        (
            s.resources.to_string(),
            "resources in the move set".to_string(),
        ),
        (
            format!("{} / {}", s.moved, s.recreated),
            "moved / recreated".into(),
        ),
        (s.reconfigured.to_string(), "re-configured in place".into()),
        (s.waves.to_string(), "waves".into()),
        (
            r.gates.len().to_string(),
            format!("gates ({before} before a move)"),
        ),
        (s.role_assignments.to_string(), "role assignments".into()),
        (
            format_minutes([total_planned; 2]),
            "planned deployment time".into(),
        ),
        (
            format_minutes([worst; 2]),
            "longest workload outage (high end)".into(),
        ),
        (
            format!("{} / {} / {}", s.blockers, s.warnings, s.infos),
            "blockers / warnings / info".into(),
        ),
    ] {
        let _ = write!(
            o,
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            esc(&v),
            esc(&l)
        );
    }
    o.push_str("</div>");
    if let Some(run) = &r.run {
        o.push_str("<p><b>Run:</b> ");
        let parts: Vec<String> = run.counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let closed = r.gates.iter().filter(|g| g.state == "closed").count();
        let _ = write!(
            o,
            "{} · gates {closed} closed of {} · {} events</p>",
            esc(&parts.join(", ")),
            r.gates.len(),
            run.events
        );
    }

    // What moves where.
    let mut per_rg: BTreeMap<String, (usize, BTreeSet<&'static str>)> = BTreeMap::new();
    for p in &plan.resources {
        if let Some(rg) = azrelo_plan::estimate::resource_group_of(p.source_id.as_str()) {
            let e = per_rg.entry(rg.to_ascii_lowercase()).or_default();
            e.0 += 1;
            e.1.insert(p.action.as_str());
        }
    }
    o.push_str("<h3>What moves where</h3><table><thead><tr><th>Source resource group</th><th>Target resource group</th><th>Resources</th><th>Actions</th></tr></thead><tbody>");
    for m in &plan.target.resource_groups {
        let (n, actions) = per_rg
            .get(&m.source.to_ascii_lowercase())
            .map(|(n, a)| (*n, a.iter().copied().collect::<Vec<_>>().join(", ")))
            .unwrap_or((0, String::new()));
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{n}</td><td>{}</td></tr>",
            esc(&short(&m.source)),
            esc(&short(&m.target)),
            esc(&actions)
        );
    }
    o.push_str("</tbody></table>");
    for m in &plan.target.subscriptions {
        if m.source != m.target {
            let _ = write!(
                o,
                "<p>Subscription <code>{}</code> → <code>{}</code></p>",
                esc(&m.source),
                esc(&m.target)
            );
        }
    }

    // Blockers.
    let blockers: Vec<_> = plan
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Blocker)
        .collect();
    let _ = write!(o, "<h3>Blockers ({})</h3>", blockers.len());
    if blockers.is_empty() {
        let _ = write!(
            o,
            "<p class=\"muted\">None. {} warning(s) to review in <a href=\"#findings\">Findings</a>.</p>",
            s.warnings
        );
    } else {
        o.push_str("<table><thead><tr><th>Resource</th><th>Blocker</th><th>Remediation</th></tr></thead><tbody>");
        for f in blockers {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f
                    .resource
                    .as_deref()
                    .map(short)
                    .unwrap_or_else(|| "—".into())),
                esc(&f.message),
                esc(&f.remediation)
            );
        }
        o.push_str("</tbody></table>");
    }

    // Downtime.
    o.push_str("<h3>Downtime per workload</h3><table><thead><tr><th>Workload (source resource group)</th><th>Resources</th><th>Outage at cut-over</th><th>Class</th><th>Basis of the estimate</th></tr></thead><tbody>");
    for w in &r.downtime {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td><td>{}</td><td>{}</td></tr>",
            esc(&short(&w.resource_group)),
            w.resources,
            esc(&format_minutes(w.minutes)),
            w.downtime.as_str(),
            esc(&w.basis)
        );
    }
    let _ = write!(
        o,
        "</tbody></table><p class=\"muted\">Estimates from the relocation catalog's planned durations for a typical small-to-medium instance; data volume and change rate move them. {}</p>",
        esc(&azrelo_plan::estimate::switch_note(
            azrelo_catalog::Catalog::embedded()
        ))
    );

    // Cost of staying.
    o.push_str("<h3>What stays in the source, and why</h3>");
    if r.kept.is_empty() && r.not_selected.is_empty() {
        o.push_str("<p class=\"muted\">Nothing: every source can be deleted after commit.</p>");
    } else {
        o.push_str("<table><thead><tr><th>What</th><th>Why</th></tr></thead><tbody>");
        for k in &r.kept {
            let _ = write!(
                o,
                "<tr><td class=\"id\" title=\"{}\">{}</td><td>{}</td></tr>",
                esc(&k.what),
                esc(&short(&k.what)),
                esc(&k.why)
            );
        }
        for (rg, n) in &r.not_selected {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{n} resource(s) of the inputs are not in the move set (not selected, nothing moved requires them): they stay and keep costing in the source region</td></tr>",
                esc(&short(rg))
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");
}

fn graph(o: &mut String, r: &Report) {
    let g = &r.graph;
    let plan = &r.plan;
    let items: Vec<Item> = g
        .nodes
        .iter()
        .map(|n| Item {
            layer: n.layer,
            group: n.group,
        })
        .collect();
    let edges: Vec<(usize, usize)> = g.edges.iter().map(|e| (e.from, e.to)).collect();
    let lay = layout::layout(&items, &edges, plan.waves.len(), g.groups.len());
    let _ = write!(
        o,
        "<section id=\"graph-section\"><h2>Dependency graph</h2><p class=\"muted\">{} units (resources carried in a parent's template are counted on it) and {} dependencies, laid out by wave (columns) and source resource group (lanes); an arrow points at what a unit needs. Drag to pan, wheel or buttons to zoom, click a unit to highlight its dependencies.</p>",
        g.nodes.len(),
        g.edges.len()
    );
    o.push_str("<div class=\"filters gctl\"><button type=\"button\" data-zoom=\"in\">+</button><button type=\"button\" data-zoom=\"out\">−</button><button type=\"button\" data-zoom=\"fit\">fit</button><button type=\"button\" data-zoom=\"reset\">reset</button>");
    let waves: Vec<(String, String)> = plan
        .waves
        .iter()
        .map(|w| (w.number.to_string(), format!("{} — {}", w.number, w.title)))
        .collect();
    option_list(o, "g-wave", "wave", "wave", &waves);
    let rgs: Vec<(String, String)> = g
        .groups
        .iter()
        .enumerate()
        .map(|(i, rg)| (i.to_string(), short(rg)))
        .collect();
    option_list(o, "g-rg", "rg", "resource group", &rgs);
    o.push_str("<input type=\"search\" id=\"g-search\" placeholder=\"find a resource\">");
    for f in EdgeFamily::ALL {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" data-family=\"{0}\" checked> {0}</label>",
            f.as_str()
        );
    }
    o.push_str("</div><div class=\"legend\">");
    for f in EdgeFamily::ALL {
        let _ = write!(
            o,
            "<span><i style=\"background:{}\"></i>{}</span>",
            family_colour(f),
            f.as_str()
        );
    }
    for (i, w) in plan.waves.iter().enumerate() {
        let _ = write!(
            o,
            "<span><i class=\"sw\" style=\"background:{}\"></i>wave {}</span>",
            wave_colour(i),
            w.number
        );
    }
    o.push_str("</div>");
    let (w, h) = (lay.width.ceil(), lay.height.ceil());
    let _ = write!(
        o,
        "<div id=\"graph-wrap\"><svg id=\"graph\" role=\"img\" aria-label=\"dependency graph\" viewBox=\"0 0 {w} {h}\" preserveAspectRatio=\"xMinYMin meet\" data-w=\"{w}\" data-h=\"{h}\"><defs>"
    );
    for f in EdgeFamily::ALL {
        let _ = write!(
            o,
            "<marker id=\"a-{}\" viewBox=\"0 0 8 8\" refX=\"7\" refY=\"4\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0L8,4L0,8z\" fill=\"{}\"/></marker>",
            f.as_str(),
            family_colour(f)
        );
    }
    o.push_str("</defs><g class=\"lanes\">");
    for (k, (gi, y0, y1)) in lay.lanes.iter().enumerate() {
        let _ = write!(
            o,
            "<rect class=\"lane{}\" x=\"0\" y=\"{y0:.0}\" width=\"{w}\" height=\"{:.0}\"/><text class=\"lane-label\" x=\"4\" y=\"{:.0}\">{}</text>",
            if k % 2 == 1 { " alt" } else { "" },
            y1 - y0,
            y0 + 11.0,
            esc(&short(&g.groups[*gi]))
        );
    }
    for (i, x) in lay.columns.iter().enumerate() {
        if let Some(wv) = plan.waves.get(i) {
            let _ = write!(
                o,
                "<text class=\"col-label\" x=\"{x:.0}\" y=\"20\">wave {} · {}</text>",
                wv.number,
                esc(&wv.title)
            );
        }
    }
    o.push_str("</g><g class=\"edges\">");
    for e in &g.edges {
        let (fx, fy) = lay.pos[e.from];
        let (tx, ty) = lay.pos[e.to];
        let (y1, y2) = (fy + NODE_H / 2.0, ty + NODE_H / 2.0);
        let d = if tx + NODE_W < fx {
            // The dependency is in an earlier column: right side to left side.
            let (x1, x2) = (fx, tx + NODE_W);
            let dx = ((x1 - x2) / 2.0).max(30.0);
            format!(
                "M{x1:.0},{y1:.0}C{:.0},{y1:.0} {:.0},{y2:.0} {x2:.0},{y2:.0}",
                x1 - dx,
                x2 + dx
            )
        } else {
            // Same (or a later) column: a loop out to the left.
            let x = fx.min(tx);
            let bulge = 24.0 + ((y1 - y2).abs() / COL * 10.0).min(40.0);
            format!(
                "M{:.0},{y1:.0}C{:.0},{y1:.0} {:.0},{y2:.0} {:.0},{y2:.0}",
                fx,
                x - bulge,
                x - bulge,
                tx
            )
        };
        let _ = write!(
            o,
            "<path class=\"e f-{}\" data-f=\"{}\" data-t=\"{}\" d=\"{d}\"/>",
            e.family.as_str(),
            e.from,
            e.to
        );
    }
    o.push_str("</g><g class=\"nodes\">");
    for (i, n) in g.nodes.iter().enumerate() {
        let p = &plan.resources[n.resource];
        let (x, y) = lay.pos[i];
        let colour = wave_colour(n.layer);
        let light = matches!(n.layer % WAVE_COLOURS.len(), 5 | 7 | 9 | 10);
        let mut label: String = p.name.chars().take(22).collect();
        if p.name.chars().count() > 22 {
            label.push('…');
        }
        if n.carried > 0 {
            let _ = write!(label, " +{}", n.carried);
        }
        let ty = p.resource_type.rsplit('/').next().unwrap_or("");
        let _ = write!(
            o,
            "<g class=\"n{}\" data-wave=\"{}\" data-rg=\"{}\" data-name=\"{}\" transform=\"translate({x:.0},{y:.0})\"><rect width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"4\" fill=\"{colour}\"{}/><text x=\"6\" y=\"14\">{}</text><title>{} ({ty})\n{} → {}\nwave {} · {} · {}{}</title></g>",
            if light { " light" } else { "" },
            p.wave,
            n.group,
            esc(&p.name.to_ascii_lowercase()),
            if p.action == Action::Reconfigure || p.action == Action::Keep {
                " stroke-dasharray=\"3 2\""
            } else {
                ""
            },
            esc(&label),
            esc(&p.name),
            esc(&short(p.source_id.as_str())),
            esc(&short(p.target_id.as_str())),
            p.wave,
            p.action.as_str(),
            p.strategy.as_str(),
            if n.carried > 0 {
                format!(" · carries {}", n.carried)
            } else {
                String::new()
            }
        );
    }
    o.push_str("</g></svg></div></section>");
}

fn timeline(o: &mut String, r: &Report) {
    o.push_str("<section id=\"timeline\"><h2>Waves</h2>");
    let total: u32 = r
        .waves
        .iter()
        .map(|w| w.planned.minutes)
        .sum::<u32>()
        .max(1);
    let real_end = r
        .waves
        .iter()
        .filter_map(|w| w.real.map(|s| s.start_min + s.minutes))
        .fold(0.0f64, f64::max);
    let has_real = r.waves.iter().any(|w| w.real.is_some());
    let (label_w, bar_w, row_h) = (250.0, 700.0, if has_real { 34.0 } else { 22.0 });
    let scale = bar_w / total as f64;
    let real_scale = if real_end > 0.0 {
        bar_w / real_end
    } else {
        1.0
    };
    let h = 26.0 + r.waves.len() as f64 * row_h;
    let _ = write!(
        o,
        "<p class=\"muted\">Planned minutes per wave from the catalog's durations (the longest unit of each wave; units of a wave run in parallel, gates and copies done by people are not timed){}.</p><svg width=\"{}\" height=\"{h:.0}\" role=\"img\" aria-label=\"wave timeline\">",
        if has_real {
            "; below each, the real span from events.jsonl on its own scale"
        } else {
            ""
        },
        label_w + bar_w + 190.0
    );
    let mut at = 0u32;
    for (i, w) in r.waves.iter().enumerate() {
        let y = 20.0 + i as f64 * row_h;
        let x = label_w + at as f64 * scale;
        let bw = (w.planned.minutes as f64 * scale).max(2.0);
        let _ = write!(
            o,
            "<text class=\"tl-label\" x=\"0\" y=\"{:.0}\">{} · {}</text><rect x=\"{x:.1}\" y=\"{:.0}\" width=\"{bw:.1}\" height=\"12\" rx=\"2\" fill=\"{}\"><title>{}</title></rect><text class=\"tl-val\" x=\"{:.0}\" y=\"{:.0}\">{}</text>",
            y + 10.0,
            w.number,
            esc(&w.title),
            y,
            wave_colour(i),
            esc(&w.planned.basis),
            label_w + bar_w + 8.0,
            y + 10.0,
            esc(&format!(
                "planned {}{}",
                format_minutes([w.planned.minutes; 2]),
                w.real
                    .map(|s| format!(" · real {:.1} min", s.minutes))
                    .unwrap_or_default()
            ))
        );
        if let Some(s) = w.real {
            let _ = write!(
                o,
                "<rect x=\"{:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"8\" fill=\"#1d2330\" opacity=\".65\"><title>real {:.1} min</title></rect>",
                label_w + s.start_min * real_scale,
                y + 15.0,
                (s.minutes * real_scale).max(2.0),
                s.minutes
            );
        }
        at += w.planned.minutes;
    }
    o.push_str("</svg><table><thead><tr><th>Wave</th><th>Phase</th><th>Resources</th><th>Planned</th><th>Basis</th><th>Real</th></tr></thead><tbody>");
    for w in &r.waves {
        let _ = write!(
            o,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            w.number,
            esc(&w.title),
            w.resources,
            esc(&format_minutes([w.planned.minutes; 2])),
            esc(&w.planned.basis),
            w.real
                .map(|s| format!("{:.1} min", s.minutes))
                .unwrap_or_else(|| "—".into())
        );
    }
    o.push_str("</tbody></table></section>");
}

fn gates(o: &mut String, r: &Report) {
    let _ = write!(
        o,
        "<section id=\"gates\"><h2>Gates ({})</h2><p class=\"muted\">{} The run stops at each (exit code 5) until it is closed with <code>azrelo gate done DIR ID</code>.</p>",
        r.gates.len(),
        if r.gates_from_run {
            "From the run's own model of the generated templates."
        } else {
            "Counted from the plan as the orchestrator builds them; after <code>azrelo generate</code> the report reads the run's own list."
        }
    );
    o.push_str("<div class=\"filters\" data-filter-for=\"t-gates\"><input type=\"search\" placeholder=\"filter\">");
    let states: BTreeSet<&str> = r.gates.iter().map(|g| g.state).collect();
    let states: Vec<(String, String)> = states
        .into_iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    option_list(o, "f-gate-state", "state", "state", &states);
    o.push_str("<span class=\"count\"></span></div><table id=\"t-gates\"><thead><tr><th>Wave</th><th>Gate</th><th>When</th><th>Owner</th><th>Instruction</th><th>State</th></tr></thead><tbody>");
    for g in r.gates.iter().take(HTML_ROWS) {
        let _ = write!(
            o,
            "<tr data-state=\"{}\"><td class=\"num\">{}</td><td><code>{}</code></td><td>{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            g.state,
            g.wave,
            esc(&g.id),
            g.when,
            esc(&g.owner),
            esc(&short(&g.owner)),
            esc(&g.instruction),
            g.state
        );
    }
    o.push_str("</tbody></table>");
    rest_note(o, r.gates.len(), "gates");
    o.push_str("</section>");
}

fn findings(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let service_of: std::collections::HashMap<String, String> = plan
        .resources
        .iter()
        .filter_map(|p| {
            Some((
                p.source_id.as_str().to_ascii_lowercase(),
                p.service.as_deref()?.to_string(),
            ))
        })
        .collect();
    let _ = write!(
        o,
        "<section id=\"findings\"><h2>Findings ({})</h2><div class=\"filters\" data-filter-for=\"t-findings\"><input type=\"search\" placeholder=\"filter\">",
        plan.findings.len()
    );
    let sevs: Vec<(String, String)> = ["blocker", "warning", "info"]
        .iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    option_list(o, "f-sev", "sev", "severity", &sevs);
    let svcs: BTreeSet<String> = plan
        .findings
        .iter()
        .filter_map(|f| {
            service_of
                .get(&f.resource.as_deref()?.to_ascii_lowercase())
                .cloned()
        })
        .collect();
    let svcs: Vec<(String, String)> = svcs.into_iter().map(|s| (s.clone(), s)).collect();
    option_list(o, "f-svc", "svc", "service", &svcs);
    o.push_str("<span class=\"count\"></span></div><table id=\"t-findings\"><thead><tr><th>Severity</th><th>Code</th><th>Service</th><th>Resource</th><th>Finding</th><th>Remediation</th></tr></thead><tbody>");
    for f in plan.findings.iter().take(HTML_ROWS) {
        let svc = f
            .resource
            .as_deref()
            .and_then(|r| service_of.get(&r.to_ascii_lowercase()))
            .cloned()
            .unwrap_or_default();
        let sev = f.severity.as_str();
        let _ = write!(
            o,
            "<tr data-sev=\"{sev}\" data-svc=\"{}\"><td class=\"sev-{sev}\">{sev}</td><td><code>{}</code></td><td>{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&svc),
            esc(&f.code),
            esc(&svc),
            esc(f.resource.as_deref().unwrap_or("")),
            esc(&f
                .resource
                .as_deref()
                .map(short)
                .unwrap_or_else(|| "—".into())),
            esc(&f.message),
            esc(&f.remediation)
        );
    }
    o.push_str("</tbody></table>");
    rest_note(o, plan.findings.len(), "findings");
    o.push_str("</section>");
}

fn resources(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let _ = write!(
        o,
        "<section id=\"resources\"><h2>Resources ({})</h2><div class=\"filters\" data-filter-for=\"t-resources\"><input type=\"search\" placeholder=\"filter\">",
        plan.resources.len()
    );
    let waves: Vec<(String, String)> = plan
        .waves
        .iter()
        .map(|w| (w.number.to_string(), w.number.to_string()))
        .collect();
    option_list(o, "f-res-wave", "wave", "wave", &waves);
    let actions: BTreeSet<&str> = plan.resources.iter().map(|p| p.action.as_str()).collect();
    let actions: Vec<(String, String)> = actions
        .into_iter()
        .map(|a| (a.to_string(), a.to_string()))
        .collect();
    option_list(o, "f-res-action", "action", "action", &actions);
    o.push_str("<span class=\"count\"></span></div><table id=\"t-resources\"><thead><tr><th>Wave</th><th>Resource</th><th>Type</th><th>Action</th><th>Strategy</th><th>Target</th><th>Gates</th>");
    if r.run.is_some() {
        o.push_str("<th>State</th>");
    }
    o.push_str("</tr></thead><tbody>");
    for p in plan.resources.iter().take(HTML_ROWS) {
        let gates = r
            .gates_by_resource
            .get(&p.source_id.as_str().to_ascii_lowercase())
            .map(|g| g.len())
            .unwrap_or(0);
        let strategy = match &p.data_mover {
            Some(m) => format!("{} ({m})", p.strategy.as_str()),
            None => p.strategy.as_str().to_string(),
        };
        let target = if p.target_name != p.name {
            format!("<b>{}</b>", esc(&p.target_name))
        } else {
            esc(&p.target_name)
        };
        let _ = write!(
            o,
            "<tr data-wave=\"{}\" data-action=\"{}\"><td class=\"num\">{}</td><td title=\"{}\">{}{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td title=\"{}\">{target}</td><td class=\"num\">{}</td>",
            p.wave,
            p.action.as_str(),
            p.wave,
            esc(p.source_id.as_str()),
            esc(&p.name),
            p.carried_by
                .as_ref()
                .map(|x| x.as_str())
                .map(|c| format!(" <span class=\"muted\">(in {})</span>", esc(&short(c))))
                .unwrap_or_default(),
            esc(&p.resource_type),
            p.action.as_str(),
            esc(&strategy),
            esc(p.target_id.as_str()),
            if gates > 0 {
                gates.to_string()
            } else {
                String::new()
            }
        );
        if let Some(run) = &r.run {
            let _ = write!(
                o,
                "<td>{}</td>",
                esc(run
                    .states
                    .get(&p.target_id.as_str().to_ascii_lowercase())
                    .map(String::as_str)
                    .unwrap_or(""))
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
    rest_note(o, plan.resources.len(), "resources");
    o.push_str("</section>");
}

fn roles(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let _ = write!(
        o,
        "<section id=\"roles\"><h2>Role assignments to create ({})</h2>",
        plan.role_assignments.len()
    );
    if plan.role_assignments.is_empty() {
        o.push_str("<p class=\"muted\">None.</p></section>");
        return;
    }
    o.push_str("<table><thead><tr><th>Wave</th><th>Role</th><th>Target scope</th><th>Principal</th><th>Why</th></tr></thead><tbody>");
    for ra in &plan.role_assignments {
        let role = azrelo_arm::roles::builtin_role(&ra.role_definition_id);
        let _ = write!(
            o,
            "<tr><td class=\"num\">{}</td><td title=\"{}\">{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            ra.wave,
            esc(&match role {
                Some(b) => format!("{} ({})", b.description, ra.role_definition_id),
                None => format!("custom role {}", ra.role_definition_id),
            }),
            esc(&azrelo_plan::report::role_name(&ra.role_definition_id)),
            esc(&ra.target_scope),
            esc(&short(&ra.target_scope)),
            esc(&principal(ra).replace('`', "")),
            esc(&reasons(ra))
        );
    }
    o.push_str("</tbody></table></section>");
}

fn checklist(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let _ = write!(
        o,
        "<section id=\"checklist\"><h2>Checklist: what does not travel ({})</h2><div class=\"filters\" data-filter-for=\"t-checklist\"><input type=\"search\" placeholder=\"filter\">",
        plan.checklist.len()
    );
    option_list(
        o,
        "f-check",
        "auto",
        "automation",
        &[
            ("manual".into(), "manual".into()),
            ("automated".into(), "automated".into()),
        ],
    );
    o.push_str("<span class=\"count\"></span></div><table id=\"t-checklist\"><thead><tr><th>Item</th><th>Automation</th><th>Instruction</th><th>Resources</th></tr></thead><tbody>");
    for c in &plan.checklist {
        let auto = match c.automation {
            azrelo_catalog::Automation::Automated => "automated",
            azrelo_catalog::Automation::Manual => "manual",
        };
        let names: Vec<String> = c.resources.iter().map(|r| short(r)).collect();
        let more = if c.count > c.resources.len() {
            format!(" and {} more", c.count - c.resources.len())
        } else {
            String::new()
        };
        let _ = write!(
            o,
            "<tr data-auto=\"{auto}\"><td><b>{}</b><br><code>{}</code></td><td>{auto}</td><td>{}</td><td>{}{more}</td></tr>",
            esc(&c.title),
            esc(&c.id),
            esc(&c.instruction),
            esc(&names.join(", "))
        );
    }
    o.push_str("</tbody></table></section>");
}

fn procedures(o: &mut String, r: &Report) {
    let plan = &r.plan;
    o.push_str("<section id=\"procedures\"><h2>Procedures</h2>");
    for sc in &plan.scenarios {
        let _ = write!(
            o,
            "<details><summary><b>{}</b> — {} step(s)</summary><p>{}</p><ol>",
            esc(&sc.title),
            sc.steps.len(),
            esc(&sc.summary)
        );
        for st in &sc.steps {
            let _ = write!(
                o,
                "<li><b>{}</b> <span class=\"muted\">({}, {})</span>: {}{}</li>",
                esc(&st.title),
                st.phase.as_str(),
                match st.mode {
                    azrelo_catalog::StepMode::Automated => "automated",
                    azrelo_catalog::StepMode::ManualGate => "manual",
                },
                esc(&st.instruction),
                if st.resources.is_empty() {
                    String::new()
                } else {
                    format!(
                        " <span class=\"muted\">[{}{}]</span>",
                        esc(&st
                            .resources
                            .iter()
                            .map(|r| short(r))
                            .collect::<Vec<_>>()
                            .join(", ")),
                        if st.count > st.resources.len() {
                            format!(" and {} more", st.count - st.resources.len())
                        } else {
                            String::new()
                        }
                    )
                }
            );
        }
        o.push_str("</ol></details>");
    }
    o.push_str("<details><summary><b>The six phases</b></summary>");
    for p in &plan.phases {
        let _ = write!(o, "<h3>{}</h3><ul>", esc(&p.title));
        for a in &p.activities {
            let _ = write!(
                o,
                "<li><b>{}</b>{}: {}</li>",
                esc(&a.title),
                if a.mode == azrelo_catalog::StepMode::ManualGate {
                    " (manual)"
                } else {
                    ""
                },
                esc(&a.detail)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</details></section>");
}
