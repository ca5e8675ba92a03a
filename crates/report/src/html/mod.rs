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

mod graph;
mod tables;

use graph::{graph, timeline};
use tables::{checklist, findings, gates, procedures, resources, roles};

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
    let src = azrelo_plan::report::regions_label(&plan.source_regions, "(no regional resources)");
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
