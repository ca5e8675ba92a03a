//! The disk data path as Azure Compute implements it, so a VM relocation can
//! be rehearsed end to end: managed disks (`creationData.createOption`
//! Empty, Copy, FromImage, Import, Upload, …), snapshots of a disk (full or
//! `incremental`, `createOption: Copy`, same region), the cross-region copy of
//! an incremental snapshot (`createOption: CopyStart`; `completionPercent`
//! grows to 100 in the background, proportional to the size under a latency
//! profile; `copyCompletionError` when the source goes away), disks created
//! from snapshots (refused while the snapshot's copy is incomplete), and VMs
//! attaching managed disks (`createOption: Attach` with `managedDisk.id`, same
//! region only, one VM per disk), with the OS disk of a VM created
//! `FromImage` (and empty data disks) created implicitly as ARM does. A disk
//! attached to a VM cannot be deleted.
//!
//! Sources: the Compute REST API (Disks, Snapshots: `CreationData`,
//! `DiskCreateOption`, `completionPercent`, `CopyCompletionError` with reason
//! `CopySourceNotFound`); learn.microsoft.com "Copy an incremental snapshot to
//! a new region" (disks-copy-incremental-snapshot-across-regions: CopyStart
//! only from an incremental snapshot to an incremental snapshot, one copy of
//! a particular disk at a time, do not delete the source while it copies);
//! "Create an incremental snapshot for managed disks".

use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use axum::response::Response;
use azrelo_arm::id::ResourceId;
use serde_json::{Value, json};

use crate::api::error;
use crate::latency::LatencyProfile;
use crate::state::{Inner, Stored, key, rfc3339};

const DISKS: &str = "microsoft.compute/disks";
const SNAPSHOTS: &str = "microsoft.compute/snapshots";
const VMS: &str = "microsoft.compute/virtualmachines";

/// The create options the Compute API knows (`DiskCreateOption`).
const CREATE_OPTIONS: &[&str] = &[
    "Empty",
    "Attach",
    "FromImage",
    "Import",
    "Copy",
    "Restore",
    "Upload",
    "CopyStart",
    "ImportSecure",
    "UploadPreparedSecure",
    "CopyFromSanSnapshot",
];

/// What a PUT does to other resources once it is stored.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Disks ARM creates with a VM (its OS disk from an image, empty data
    /// disks): (id, body).
    implicit: Vec<(String, Value)>,
    /// Disks to mark attached to the resource being written / detached.
    attach: Vec<String>,
    detach: Vec<String>,
    /// A background copy: (source snapshot key, how long).
    copy: Option<(String, Duration)>,
}

fn bad(code: &str, message: String, target: Option<&str>) -> Response {
    error(StatusCode::BAD_REQUEST, code, message, target)
}

fn str_of<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    v.pointer(path).and_then(|x| x.as_str())
}

fn size_gb(v: &Value) -> Option<u64> {
    v.pointer("/properties/diskSizeGB").and_then(|x| {
        x.as_u64()
            .or_else(|| x.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
    })
}

fn same_region(a: &Value, b: &Value) -> bool {
    let loc = |v: &Value| {
        v.get("location")
            .and_then(|l| l.as_str())
            .map(|l| l.replace(' ', "").to_ascii_lowercase())
    };
    loc(a) == loc(b)
}

fn unique_id(k: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{k}#disk").as_bytes()).to_string()
}

fn created_now() -> String {
    rfc3339(SystemTime::now())
}

/// Whether a snapshot can be read from: its background copy (if any) is
/// complete and did not fail.
fn copy_incomplete(inner: &Inner, k: &str, snapshot: &Value) -> Option<String> {
    if let Some(e) = snapshot.pointer("/properties/copyCompletionError") {
        return Some(format!(
            "its background copy failed ({})",
            e["errorCode"].as_str().unwrap_or("unknown")
        ));
    }
    if inner.copies.contains_key(k) {
        return Some("its background copy (CopyStart) is not complete".into());
    }
    None
}

/// Checks and fills a PUT of a disk, snapshot or VM; the returned plan is
/// applied once the resource is stored. Other types pass unchanged.
pub(crate) fn prepare(
    inner: &Inner,
    id: &ResourceId,
    ty: &str,
    body: &mut Value,
    now: Duration,
    profile: LatencyProfile,
) -> Result<Plan, Box<Response>> {
    let _ = now;
    let ty = ty.to_ascii_lowercase();
    let k = key(id.as_str());
    let existing = inner.resources.get(&k).map(|s| s.body.clone());
    match ty.as_str() {
        DISKS | SNAPSHOTS => prepare_disk(inner, id, &ty, body, existing.as_ref(), profile),
        VMS => prepare_vm(inner, id, body, existing.as_ref()),
        _ => Ok(Plan::default()),
    }
}

fn prepare_disk(
    inner: &Inner,
    id: &ResourceId,
    ty: &str,
    body: &mut Value,
    existing: Option<&Value>,
    profile: LatencyProfile,
) -> Result<Plan, Box<Response>> {
    let snapshot = ty == SNAPSHOTS;
    let what = if snapshot { "snapshot" } else { "disk" };
    let mut plan = Plan::default();
    // An update keeps what was created (creationData cannot change).
    if let Some(old) = existing {
        if body.pointer("/properties/creationData").is_none()
            && let Some(cd) = old.pointer("/properties/creationData")
        {
            body["properties"]["creationData"] = cd.clone();
        }
        for keep in [
            "diskState",
            "timeCreated",
            "uniqueId",
            "incremental",
            "completionPercent",
            "copyCompletionError",
            "diskSizeBytes",
        ] {
            if body["properties"].get(keep).is_none()
                && let Some(v) = old["properties"].get(keep)
            {
                body["properties"][keep] = v.clone();
            }
        }
        if let Some(m) = old.get("managedBy") {
            body["managedBy"] = m.clone();
        }
        let (before, after) = (size_gb(old), size_gb(body));
        if let (Some(b), Some(a)) = (before, after)
            && a < b
        {
            return Err(Box::new(bad(
                "OperationNotAllowed",
                format!(
                    "Disk size can only be increased: {} is {b} GB and the request asks for {a} GB.",
                    id.name().unwrap_or_default()
                ),
                Some("diskSizeGB"),
            )));
        }
        if after.is_none()
            && let Some(b) = before
        {
            body["properties"]["diskSizeGB"] = json!(b);
        }
        return Ok(plan);
    }
    let Some(cd) = body
        .pointer("/properties/creationData")
        .filter(|c| c.is_object())
        .cloned()
    else {
        return Err(Box::new(bad(
            "InvalidParameter",
            format!("Required parameter '{what}.creationData' is missing (null)."),
            Some(&format!("{what}.creationData")),
        )));
    };
    let option = cd["createOption"].as_str().unwrap_or_default();
    let Some(option) = CREATE_OPTIONS
        .iter()
        .find(|o| o.eq_ignore_ascii_case(option))
        .copied()
    else {
        return Err(Box::new(bad(
            "InvalidParameter",
            format!(
                "The value '{option}' of parameter '{what}.creationData.createOption' is not valid; allowed: {}.",
                CREATE_OPTIONS.join(", ")
            ),
            Some("createOption"),
        )));
    };
    let incremental = body
        .pointer("/properties/incremental")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let requested = size_gb(body);
    let size = match option {
        "Empty" => match requested {
            Some(s) if s > 0 => s,
            _ => {
                return Err(Box::new(bad(
                    "InvalidParameter",
                    format!(
                        "Required parameter '{what}.diskSizeGB' is missing: an empty disk needs a size."
                    ),
                    Some("diskSizeGB"),
                )));
            }
        },
        "Copy" | "CopyStart" | "Restore" => {
            let Some(src_id) = cd["sourceResourceId"].as_str() else {
                return Err(Box::new(bad(
                    "InvalidParameter",
                    format!(
                        "Required parameter '{what}.creationData.sourceResourceId' is missing (null)."
                    ),
                    Some("sourceResourceId"),
                )));
            };
            let sk = key(src_id);
            let Some(src) = inner.resources.get(&sk).map(|s| s.body.clone()) else {
                return Err(Box::new(error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("The source resource '{src_id}' was not found."),
                    Some("sourceResourceId"),
                )));
            };
            let src_ty = src["type"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if src_ty != DISKS && src_ty != SNAPSHOTS {
                return Err(Box::new(bad(
                    "InvalidParameter",
                    format!("Entity not of expected type: '{src_id}' is not a disk or snapshot."),
                    Some("sourceResourceId"),
                )));
            }
            if src_ty == SNAPSHOTS
                && let Some(why) = copy_incomplete(inner, &sk, &src)
            {
                return Err(Box::new(error(
                    StatusCode::CONFLICT,
                    "OperationNotAllowed",
                    format!(
                        "Snapshot '{src_id}' cannot be used yet: {why} (completionPercent {}).",
                        inner
                            .copies
                            .get(&sk)
                            .map(|_| "< 100".to_string())
                            .unwrap_or_else(|| "not 100".into())
                    ),
                    Some("sourceResourceId"),
                )));
            }
            if option == "CopyStart" {
                // Only an incremental snapshot from an incremental snapshot.
                let src_incremental = src
                    .pointer("/properties/incremental")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                if !snapshot || src_ty != SNAPSHOTS || !incremental || !src_incremental {
                    return Err(Box::new(bad(
                        "OperationNotAllowed",
                        "CopyStart is only supported for creating an incremental snapshot from an incremental snapshot.".into(),
                        Some("createOption"),
                    )));
                }
                // One copy of a particular disk at a time.
                let origin = str_of(&src, "/properties/creationData/sourceResourceId")
                    .map(key)
                    .unwrap_or_else(|| sk.clone());
                let busy = inner.copies.values().any(|c| {
                    inner.resources.get(&c.source).is_some_and(|s| {
                        str_of(&s.body, "/properties/creationData/sourceResourceId")
                            .map(key)
                            .unwrap_or_else(|| c.source.clone())
                            == origin
                    })
                });
                if busy {
                    return Err(Box::new(error(
                        StatusCode::CONFLICT,
                        "OperationNotAllowed",
                        format!(
                            "Another incremental snapshot of the same disk is being copied; only one copy of a particular disk can run at a time (source '{src_id}')."
                        ),
                        Some("sourceResourceId"),
                    )));
                }
            } else if !same_region(body, &src) {
                return Err(Box::new(bad(
                    "InvalidParameter",
                    format!(
                        "'{src_id}' is in region '{}', not '{}': createOption {option} needs the source in the same region (copy an incremental snapshot with CopyStart to move data across regions).",
                        src["location"].as_str().unwrap_or_default(),
                        body["location"].as_str().unwrap_or_default()
                    ),
                    Some("sourceResourceId"),
                )));
            }
            let src_size = size_gb(&src).unwrap_or(0);
            if let Some(r) = requested
                && r < src_size
            {
                return Err(Box::new(bad(
                    "InvalidParameter",
                    format!(
                        "The specified disk size {r} GB is smaller than the size of the source ({src_size} GB)."
                    ),
                    Some("diskSizeGB"),
                )));
            }
            for inherit in ["osType", "hyperVGeneration"] {
                if body["properties"].get(inherit).is_none()
                    && let Some(v) = src["properties"].get(inherit)
                {
                    body["properties"][inherit] = v.clone();
                }
            }
            let size = requested.unwrap_or(src_size);
            if option == "CopyStart" {
                let took = profile.copy(size);
                if took.is_zero() {
                    body["properties"]["completionPercent"] = json!(100.0);
                } else {
                    body["properties"]["completionPercent"] = json!(0.0);
                    plan.copy = Some((sk.clone(), took));
                }
            }
            // Azure records the source's unique id.
            if let Some(u) = src["properties"].get("uniqueId") {
                body["properties"]["creationData"]["sourceUniqueId"] = u.clone();
            }
            size
        }
        "Upload" | "UploadPreparedSecure" => {
            let bytes = cd["uploadSizeBytes"].as_u64().unwrap_or(0);
            if bytes == 0 {
                return Err(Box::new(bad(
                    "InvalidParameter",
                    "Required parameter 'creationData.uploadSizeBytes' is missing for an upload."
                        .into(),
                    Some("uploadSizeBytes"),
                )));
            }
            body["properties"]["diskState"] = json!("ReadyToUpload");
            bytes.div_ceil(1 << 30)
        }
        "FromImage" => requested.unwrap_or(30),
        _ => requested.unwrap_or(0),
    };
    // Canonical spelling, as Azure returns it.
    body["properties"]["creationData"]["createOption"] = json!(option);
    body["properties"]["diskSizeGB"] = json!(size);
    body["properties"]["diskSizeBytes"] = json!(size << 30);
    body["properties"]["timeCreated"] = json!(created_now());
    body["properties"]["uniqueId"] = json!(unique_id(&key(id.as_str())));
    if snapshot {
        body["properties"]["incremental"] = json!(incremental);
    } else if body["properties"].get("diskState").is_none() {
        body["properties"]["diskState"] = json!("Unattached");
    }
    Ok(plan)
}

/// The managed disks a VM body refers to: (json pointer of the disk entry,
/// disk id).
fn vm_disks(body: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(id) = str_of(body, "/properties/storageProfile/osDisk/managedDisk/id") {
        out.push((
            "/properties/storageProfile/osDisk".to_string(),
            id.to_string(),
        ));
    }
    if let Some(dd) = body
        .pointer("/properties/storageProfile/dataDisks")
        .and_then(|d| d.as_array())
    {
        for (i, d) in dd.iter().enumerate() {
            if let Some(id) = str_of(d, "/managedDisk/id") {
                out.push((
                    format!("/properties/storageProfile/dataDisks/{i}"),
                    id.to_string(),
                ));
            }
        }
    }
    out
}

fn prepare_vm(
    inner: &Inner,
    id: &ResourceId,
    body: &mut Value,
    existing: Option<&Value>,
) -> Result<Plan, Box<Response>> {
    let mut plan = Plan::default();
    let vm_key = key(id.as_str());
    let vm_name = id.name().unwrap_or("vm").to_string();
    let rg = id
        .resource_group_id()
        .map(|g| g.as_str().to_string())
        .unwrap_or_default();
    let location = body["location"].as_str().unwrap_or_default().to_string();
    let suffix = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, vm_key.as_bytes()).simple();
    // Disks ARM creates with the VM: the OS disk from an image, empty data
    // disks (by name or `{vm}_OsDisk_1_{hex}` / `{vm}_disk{lun}_{hex}`).
    let mut implicit = |pointer: &str, default_name: String, option: &str, body: &mut Value| {
        let Some(entry) = body.pointer_mut(pointer) else {
            return;
        };
        if str_of(entry, "/managedDisk/id").is_some() {
            return;
        }
        let created = entry["createOption"]
            .as_str()
            .is_some_and(|o| o.eq_ignore_ascii_case(option));
        if !created {
            return;
        }
        let name = entry["name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or(default_name);
        let disk_id = format!("{rg}/providers/Microsoft.Compute/disks/{name}");
        let size = entry["diskSizeGB"]
            .as_u64()
            .unwrap_or(if option == "FromImage" { 30 } else { 0 });
        let mut cd = json!({"createOption": option});
        if option == "FromImage"
            && let Some(img) = existing_image(entry)
        {
            cd["imageReference"] = img;
        }
        let sku = entry
            .pointer("/managedDisk/storageAccountType")
            .cloned()
            .unwrap_or(json!("Standard_LRS"));
        let mut disk = json!({
            "id": disk_id,
            "name": name,
            "type": "Microsoft.Compute/disks",
            "location": location,
            "managedBy": id.as_str(),
            "sku": {"name": sku},
            "properties": {
                "creationData": cd,
                "diskSizeGB": size,
                "diskSizeBytes": size << 30,
                "diskState": "Attached",
                "timeCreated": created_now(),
                "uniqueId": unique_id(&key(&disk_id)),
                "provisioningState": "Succeeded",
            },
        });
        if let Some(os) = entry.get("osType") {
            disk["properties"]["osType"] = os.clone();
        }
        entry["name"] = json!(name);
        entry["managedDisk"]["id"] = json!(disk_id);
        plan.implicit.push((disk_id, disk));
    };
    if existing.is_none() {
        implicit(
            "/properties/storageProfile/osDisk",
            format!("{vm_name}_OsDisk_1_{suffix}"),
            "FromImage",
            body,
        );
        let n = body
            .pointer("/properties/storageProfile/dataDisks")
            .and_then(|d| d.as_array())
            .map(|a| a.len())
            .unwrap_or(0);
        for i in 0..n {
            let lun = body
                .pointer(&format!("/properties/storageProfile/dataDisks/{i}/lun"))
                .and_then(|l| l.as_u64())
                .unwrap_or(i as u64);
            implicit(
                &format!("/properties/storageProfile/dataDisks/{i}"),
                format!("{vm_name}_disk{lun}_{suffix}"),
                "Empty",
                body,
            );
        }
    }
    let implicit_ids: Vec<String> = plan.implicit.iter().map(|(i, _)| key(i)).collect();
    // Attached disks: they must exist, be in the VM's region and not be
    // attached to another VM.
    let mut wanted = Vec::new();
    for (pointer, disk_id) in vm_disks(body) {
        let dk = key(&disk_id);
        if implicit_ids.contains(&dk) {
            continue;
        }
        let Some(disk) = inner.resources.get(&dk).map(|s| &s.body) else {
            return Err(Box::new(error(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!(
                    "Disk '{disk_id}' referenced by {pointer} of VM '{vm_name}' was not found."
                ),
                Some(&disk_id),
            )));
        };
        if !same_region(disk, body) {
            return Err(Box::new(bad(
                "InvalidParameter",
                format!(
                    "Disk '{disk_id}' is in region '{}' and cannot be attached to VM '{vm_name}' in region '{location}': a VM attaches disks in its own region only.",
                    disk["location"].as_str().unwrap_or_default()
                ),
                Some(&disk_id),
            )));
        }
        if let Some(owner) = disk.get("managedBy").and_then(|m| m.as_str())
            && !owner.eq_ignore_ascii_case(id.as_str())
        {
            return Err(Box::new(error(
                StatusCode::CONFLICT,
                "OperationNotAllowed",
                format!("Disk '{disk_id}' is already attached to VM '{owner}'."),
                Some(&disk_id),
            )));
        }
        if disk["properties"]["diskState"] == "ReadyToUpload" {
            return Err(Box::new(error(
                StatusCode::CONFLICT,
                "OperationNotAllowed",
                format!("Disk '{disk_id}' is waiting for an upload and cannot be attached."),
                Some(&disk_id),
            )));
        }
        wanted.push(dk);
    }
    if let Some(old) = existing {
        for (_, d) in vm_disks(old) {
            let dk = key(&d);
            if !wanted.contains(&dk) && !implicit_ids.contains(&dk) {
                plan.detach.push(dk);
            }
        }
    }
    plan.attach = wanted;
    Ok(plan)
}

fn existing_image(entry: &Value) -> Option<Value> {
    entry.get("imageReference").cloned()
}

/// Apply a plan after the resource `k` (`id`) is stored.
pub(crate) fn apply(inner: &mut Inner, k: &str, id: &str, plan: Plan, now: Duration) {
    for (disk_id, body) in plan.implicit {
        let _ = inner.store(key(&disk_id), Stored { id: disk_id, body });
    }
    for d in plan.attach {
        if let Some(mut st) = inner.resources.get(&d).cloned() {
            st.body["managedBy"] = json!(id);
            if st.body["properties"].is_object() {
                st.body["properties"]["diskState"] = json!("Attached");
            }
            let _ = inner.store(d, st);
        }
    }
    for d in plan.detach {
        detach(inner, &d);
    }
    if let Some((source, took)) = plan.copy {
        inner.start_copy(k, &source, now, took);
    }
}

fn detach(inner: &mut Inner, d: &str) {
    if let Some(mut st) = inner.resources.get(d).cloned() {
        if let Some(m) = st.body.as_object_mut() {
            m.remove("managedBy");
        }
        if st.body["properties"].is_object() {
            st.body["properties"]["diskState"] = json!("Unattached");
        }
        let _ = inner.store(d.to_string(), st);
    }
}

/// Side effects of removing resource `k`: a VM's disks are detached (or
/// deleted with it when their `deleteOption` is `Delete`); a snapshot being
/// copied from makes its copies fail with `CopySourceNotFound`.
pub(crate) fn on_removed(inner: &mut Inner, k: &str, st: &Stored) {
    let ty = st.body["type"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ty == VMS {
        for (pointer, d) in vm_disks(&st.body) {
            let dk = key(&d);
            let delete_with_vm = st
                .body
                .pointer(&format!("{pointer}/deleteOption"))
                .and_then(|o| o.as_str())
                .is_some_and(|o| o.eq_ignore_ascii_case("Delete"));
            let ours = inner
                .resources
                .get(&dk)
                .and_then(|s| s.body.get("managedBy"))
                .and_then(|m| m.as_str())
                .is_some_and(|m| key(m) == k);
            if !ours {
                continue;
            }
            if delete_with_vm {
                let _ = inner.unstore(&dk);
            } else {
                detach(inner, &dk);
            }
        }
    }
    if ty == SNAPSHOTS {
        let failed: Vec<String> = inner
            .copies
            .iter()
            .filter(|(_, c)| c.source == k)
            .map(|(t, _)| t.clone())
            .collect();
        for t in failed {
            inner.copies.remove(&t);
            if let Some(mut target) = inner.resources.get(&t).cloned()
                && target.body["properties"].is_object()
            {
                target.body["properties"]["copyCompletionError"] = json!({
                    "errorCode": "CopySourceNotFound",
                    "errorMessage": format!(
                        "The source snapshot {} was deleted while the background copy was in progress.",
                        st.id
                    ),
                });
                let _ = inner.store(t, target);
            }
        }
    }
}

/// The error for deleting `id` while `user` (a VM) has it attached.
pub(crate) fn in_use(id: &ResourceId, user: &str, user_body: &Value) -> Option<Response> {
    let ty = id.type_or_scope_type();
    let is_disk = ty.as_str().eq_ignore_ascii_case("Microsoft.Compute/disks");
    let by_vm = user_body["type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Compute/virtualMachines"));
    (is_disk && by_vm).then(|| {
        error(
            StatusCode::CONFLICT,
            "OperationNotAllowed",
            format!(
                "Disk {} is attached to VM {user}.",
                id.name().unwrap_or_default()
            ),
            None,
        )
    })
}
