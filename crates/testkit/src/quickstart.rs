//! Deploying a quickstart of the corpus into an emulator the way the
//! quickstarts' CI deploys it: its parameters filled ([`crate::params`]),
//! the CI's standing `GEN-*` resources and what the quickstart acts on in
//! place first ([`pre_existing`]), its prerequisites (`prereqs/`) deployed
//! first, and the template deployed by link through the emulator's
//! deployments API (resource-group templates into the target resource
//! group, subscription templates at subscription scope, as
//! `az deployment sub create`).
//!
//! ```no_run
//! # async fn f() {
//! use azrelo_testkit::{Target, deploy_quickstart, quickstart_emulator, quickstarts};
//! let em = quickstart_emulator();
//! let qs = &quickstarts()[0];
//! let target = Target::new("00000000-0000-0000-0000-0000000000e2", "rg-qs-0", "westeurope");
//! let deployed = deploy_quickstart(&em, qs, &target).await;
//! println!("{}: {:?} {:?}", qs.name, deployed.error, deployed.resources);
//! # }
//! ```

use std::path::{Path, PathBuf};

use azrelo_emulator::Emulator;
use indexmap::IndexMap;
use serde_json::{Value, json};

use crate::call::call;
use crate::corpus::{corpus, quickstart_dirs};
use crate::params::quickstart_parameters;

/// One quickstart of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quickstart {
    /// Its directory (with `azuredeploy.json`).
    pub dir: PathBuf,
    /// `namespace/name`, e.g. `microsoft.storage/storage-account-create`.
    pub name: String,
}

/// Every quickstart of the corpus (those with an `azuredeploy.json`), sorted.
pub fn quickstarts() -> Vec<Quickstart> {
    quickstart_dirs()
        .into_iter()
        .map(|dir| Quickstart {
            name: short(&dir),
            dir,
        })
        .collect()
}

/// Where a quickstart is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The subscription's GUID.
    pub subscription: String,
    /// The resource group's name (created if missing).
    pub resource_group: String,
    /// The resource group's region (and a subscription deployment's).
    pub location: String,
}

impl Target {
    pub fn new(subscription: &str, resource_group: &str, location: &str) -> Target {
        Target {
            subscription: subscription.to_string(),
            resource_group: resource_group.to_string(),
            location: location.to_string(),
        }
    }

    /// `/subscriptions/{guid}`.
    pub fn subscription_path(&self) -> String {
        format!("/subscriptions/{}", self.subscription)
    }

    /// The resource group's id.
    pub fn resource_group_id(&self) -> String {
        format!(
            "{}/resourceGroups/{}",
            self.subscription_path(),
            self.resource_group
        )
    }
}

/// What deploying a quickstart did.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// `None` when the deployment succeeded; else its first error, as
    /// `code: message` (the prerequisites' prefixed `prerequisites: `).
    pub error: Option<String>,
    /// The ids the quickstart's deployment created (its
    /// `outputResources`, nested deployments' included).
    pub resources: Vec<String>,
    /// What was in place before it: the CI's standing resources are not
    /// listed; the pre-existing environment and the prerequisites'
    /// resources are.
    pub prerequisites: Vec<String>,
    /// The deployment record as ARM answers it (`properties.outputs`, …;
    /// `Null` when the prerequisites failed).
    pub record: Value,
}

impl Deployed {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// Deploy `qs` into `target` on `em` (use [`quickstart_emulator`], one per
/// quickstart: their generated names repeat) and say what it deployed.
pub async fn deploy_quickstart(em: &Emulator, qs: &Quickstart, target: &Target) -> Deployed {
    let d = &qs.dir;
    let rg = target.resource_group_id();
    let fail = |error: String, prerequisites: Vec<String>| Deployed {
        error: Some(error),
        resources: Vec::new(),
        prerequisites,
        record: Value::Null,
    };
    let file = d.join("azuredeploy.json");
    let doc = match std::fs::read_to_string(&file)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            azrelo_template::json::parse(&t, "azuredeploy.json").map_err(|e| e.to_string())
        }) {
        Ok(doc) => doc,
        Err(e) => return fail(format!("InvalidTemplate: {e}"), Vec::new()),
    };
    put(em, &rg, json!({"location": target.location})).await;
    ci_gen_setup(em, &target.subscription_path(), &target.location).await;
    // Prerequisites first, as the quickstarts' CI does: their outputs
    // fill the main template's GET-PREREQ-* parameters.
    let prereq = match deploy_prereq(em, &rg, target, d).await {
        Ok(r) => r,
        Err(why) => return fail(format!("prerequisites: {why}"), Vec::new()),
    };
    let prereq_outputs = prereq["properties"]["outputs"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut prerequisites = output_resources(&prereq);
    let pf = d.join("azuredeploy.parameters.json");
    let mut overrides = prereq_values(&pf, &prereq_outputs);
    overrides.extend(artifacts_location(&doc, d));
    let mut params = quickstart_parameters(&pf, &doc, overrides);
    // The CI replaces GET-PREREQ-* anywhere in the values (inside
    // objects too), not only whole parameter values.
    for v in params.values_mut() {
        substitute_prereq(v, &prereq_outputs);
    }
    let env = pre_existing(&qs.name, &rg, target, &mut params);
    let loc = location_of(&params, &target.location);
    prerequisites.extend(provision(em, &rg, env, &loc).await);
    let r = deploy(em, &rg, target, "qs", (&doc, &file), params).await;
    let ok = r["properties"]["provisioningState"] == "Succeeded";
    Deployed {
        error: (!ok).then(|| reason(&r)),
        resources: output_resources(&r),
        prerequisites,
        record: r,
    }
}

/// A deployment record's `outputResources` ids.
fn output_resources(record: &Value) -> Vec<String> {
    record["properties"]["outputResources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// PUT through the router; the answer's body.
async fn put(em: &Emulator, path: &str, body: Value) -> Value {
    call(
        em,
        "PUT",
        &format!("{path}?api-version=2022-09-01"),
        Some(body),
    )
    .await
    .body
}

/// Where the quickstarts live upstream: their CI deploys each one from its
/// URL under this prefix, so `_artifactsLocation` (and hard-coded links to
/// sibling files) point here. The emulator serves it from the corpus (its
/// artifact mirror); links elsewhere (e.g. the repository's `modules/`,
/// not in the corpus) fail with `InvalidContentLink`.
pub const UPSTREAM: &str =
    "https://raw.githubusercontent.com/Azure/azure-quickstart-templates/master/quickstarts/";

/// A fresh emulator with the quickstart corpus as its artifact mirror
/// (what [`deploy_quickstart`] needs to serve linked templates). Serve it
/// with [`crate::Served::start`] to reach it over a socket as well: the
/// state is shared.
pub fn quickstart_emulator() -> Emulator {
    Emulator::new().with_artifacts(UPSTREAM, &corpus("quickstarts"))
}

/// The standing resources of the quickstarts' CI subscription, which its
/// `GEN-*` parameter values name (the repository's
/// `test/ci-gen-setup/Create-GEN-Artifacts.ps1` creates them once per
/// subscription: a Key Vault with a password secret and an encryption key,
/// a virtual network with subnets, a user-assigned identity). The shared
/// parameter filler maps those `GEN-*` names to `azrelo-placeholder` and
/// `GEN-*-RESOURCE-ID` to `kv-azrelo` in `azrelo-prereqs`; they are created
/// here through the ordinary API, as the CI's setup script does.
async fn ci_gen_setup(em: &Emulator, sub: &str, location: &str) {
    const PASSWORD: &str = "Azrelo-Test-P@ssw0rd-1";
    for (sub, rg, vault) in [
        (sub, "azrelo-placeholder", "azrelo-placeholder"),
        (
            "/subscriptions/00000000-0000-0000-0000-000000000000",
            "azrelo-prereqs",
            "kv-azrelo",
        ),
    ] {
        let g = format!("{sub}/resourceGroups/{rg}");
        put(em, &g, json!({"location": location})).await;
        let v = format!("{g}/providers/Microsoft.KeyVault/vaults/{vault}");
        put(em, &v,
            json!({"location": location, "properties": {"tenantId": "72f988bf-0000-0000-0000-00000000e001", "sku": {"family": "A", "name": "standard"}, "enabledForDeployment": true, "enabledForTemplateDeployment": true, "enabledForDiskEncryption": true, "accessPolicies": []}}),
        )
        .await;
        for secret in ["azrelo-placeholder", "azrelo"] {
            put(
                em,
                &format!("{v}/secrets/{secret}"),
                json!({"properties": {"value": PASSWORD}}),
            )
            .await;
        }
        put(
            em,
            &format!("{v}/keys/azrelo-placeholder"),
            json!({"properties": {"kty": "RSA", "keySize": 2048}}),
        )
        .await;
    }
    let g = format!("{sub}/resourceGroups/azrelo-placeholder");
    put(
        em,
        &format!(
            "{g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/azrelo-placeholder"
        ),
        json!({"location": location}),
    )
    .await;
    put(em, &format!("{g}/providers/Microsoft.Network/virtualNetworks/azrelo-placeholder"),
        json!({"location": location, "properties": {
            "addressSpace": {"addressPrefixes": ["10.250.0.0/16"]},
            "subnets": [{"name": "azrelo-placeholder", "properties": {"addressPrefix": "10.250.0.0/24"}}],
        }}),
    )
    .await;
}

/// A string parameter's filled value ("" when absent or not a string).
fn param(params: &IndexMap<String, Value>, name: &str) -> String {
    params
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The location the quickstart deploys to: its `location` parameter when
/// filled, else its resource group's.
fn location_of(params: &IndexMap<String, Value>, default: &str) -> String {
    match param(params, "location") {
        l if l.is_empty() => default.to_string(),
        l => l,
    }
}

/// Rewrite every `Microsoft.HybridCompute/machines` id in `v` into the
/// deployment's subscription and resource group (keeping the machine's
/// name) and collect the machine names. The samples' ids name their
/// authors' environments (`YourSubscriptionID`, `xxxxxxxx-…`, a lab
/// subscription); Azure Local deploys a cluster into the resource group
/// its machines are Arc-registered in (the templates address the nodes by
/// name in their own group: `scope: Microsoft.HybridCompute/machines/<n>`).
fn arc_machine_ids(v: &mut Value, rg: &str, names: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let lower = s.to_ascii_lowercase();
            if lower.starts_with("/subscriptions/")
                && let Some(i) = lower.find("/providers/microsoft.hybridcompute/machines/")
            {
                let name = s[i + "/providers/microsoft.hybridcompute/machines/".len()..]
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                *s = format!("{rg}/providers/Microsoft.HybridCompute/machines/{name}");
                names.push(name);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| arc_machine_ids(x, rg, names)),
        Value::Object(m) => m.values_mut().for_each(|x| arc_machine_ids(x, rg, names)),
        _ => {}
    }
}

/// The pre-existing environment of a quickstart whose template acts on
/// resources it does not create — what the quickstarts' CI (or the
/// sample's README) has in place before the deployment: `(id, body)` to
/// PUT, in order, through the emulator's ordinary resource API. `rel` is
/// the quickstart's `namespace/name`, `rg` the deployment's resource group
/// id; `params` are the filled parameters (rewritten where a sample names
/// its author's environment). Everything listed here is a real ARM
/// resource created the way a user would create it; nothing is marked
/// deployed and no check of the emulator is bypassed.
///
/// None of the listed quickstarts declares its prerequisites as
/// languageVersion 2.0 `existing` resources (the engine expands those as
/// referenceable, not deployed, so they cannot be read off its output);
/// they name them through parameters, so the table below derives each
/// from the parameter whose description says it must exist.
fn pre_existing(
    rel: &str,
    rg: &str,
    target: &Target,
    params: &mut IndexMap<String, Value>,
) -> Vec<(String, Value)> {
    let loc = location_of(params, &target.location);
    let sub = target.subscription_path();
    let mut out: Vec<(String, Value)> = Vec::new();
    if rel.starts_with("microsoft.azurestackhci/") {
        // Azure Local (Azure Stack HCI): the nodes are on-premises servers
        // registered with Azure Arc (`Microsoft.HybridCompute/machines`,
        // with a system-assigned identity, and the `edgeDevices/default`
        // the Azure Local registration adds under each), and VMs/AKS run
        // on a custom location (over the Arc resource bridge) with
        // logical networks and images set up by the cluster's operator
        // (learn.microsoft.com/azure/azure-local/deploy/deployment-arc-register-server-permissions,
        // …/manage/create-logical-networks, …/manage/virtual-machine-image-azure-marketplace).
        // "Storage account name to be created for the cluster witness,
        // required when Witness Type is cloud": two samples choose the
        // cloud witness and leave the name empty for the user to fill.
        if param(params, "witnessType") == "Cloud"
            && rel.contains("/create-cluster-2-node-switched-custom-storageip")
            && param(params, "clusterWitnessStorageAccountName").is_empty()
        {
            params.insert(
                "clusterWitnessStorageAccountName".into(),
                json!("azrelowitness"),
            );
        }
        let mut names = Vec::new();
        for v in params.values_mut() {
            arc_machine_ids(v, rg, &mut names);
        }
        // "Names of the cluster node Arc Machine resources"
        // (create-cluster-with-prereqs): that template does not create the
        // nodes' `edgeDevices/default` (the others do) but reads the NIC
        // details the node reported at registration, so those exist too.
        let registered: Vec<String> = params
            .get("clusterNodeNames")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        names.extend(registered.iter().cloned());
        let adapter = params
            .get("managementIntentAdapterNames")
            .and_then(|a| a[0].as_str())
            .unwrap_or("management0")
            .to_string();
        for (i, n) in names.iter().enumerate() {
            let m = format!("{rg}/providers/Microsoft.HybridCompute/machines/{n}");
            out.push((
                m.clone(),
                json!({"location": loc, "kind": "HCI", "identity": {"type": "SystemAssigned"},
                       "properties": {"displayName": n, "osName": "windows", "status": "Connected"}}),
            ));
            if registered.contains(n) {
                out.push((
                    format!("{m}/providers/Microsoft.AzureStackHCI/edgeDevices/default"),
                    json!({"kind": "HCI", "properties": {"deviceConfiguration": {"deviceMetadata": "", "nicDetails": [
                        {"adapterName": adapter, "ip4Address": format!("10.0.0.{}", 10 + i), "subnetMask": "255.255.255.0"}
                    ]}}}),
                ));
            }
        }
        // The upgrade templates upgrade an existing 22H2 cluster (their
        // README: "upgrades an Azure Stack HCI 22H2 cluster").
        if rel.contains("/upgrade-cluster") {
            let c = param(params, "clusterName");
            out.push((
                format!("{rg}/providers/Microsoft.AzureStackHCI/clusters/{c}"),
                json!({"location": loc, "identity": {"type": "SystemAssigned"}, "properties": {}}),
            ));
        }
        let cl = [
            param(params, "customLocationName"),
            param(params, "hciCustomLocationName"),
        ]
        .into_iter()
        .find(|c| !c.is_empty());
        if let Some(cl) = cl {
            let bridge =
                format!("{rg}/providers/Microsoft.ResourceConnector/appliances/azrelo-arcbridge");
            let cl_id = format!("{rg}/providers/Microsoft.ExtendedLocation/customLocations/{cl}");
            let ext = json!({"type": "CustomLocation", "name": cl_id});
            out.push((bridge.clone(), json!({"location": loc, "properties": {"distro": "AKSEdge", "infrastructureConfig": {"provider": "HCI"}}})));
            out.push((
                cl_id.clone(),
                json!({"location": loc, "properties": {"hostType": "Kubernetes", "hostResourceId": bridge, "namespace": "azure-local", "displayName": cl}}),
            ));
            let lnet = param(params, "hciLogicalNetworkName");
            if !lnet.is_empty() {
                out.push((
                    format!("{rg}/providers/Microsoft.AzureStackHCI/logicalNetworks/{lnet}"),
                    json!({"location": loc, "extendedLocation": ext, "properties": {
                        "vmSwitchName": "ConvergedSwitch(compute_management)",
                        "subnets": [{"name": lnet, "properties": {"ipAllocationMethod": "Dynamic"}}]}}),
                ));
            }
            let image = param(params, "imageName");
            if !image.is_empty() {
                // `isMarketplaceImage` (default true where declared) picks
                // a marketplace image, otherwise a gallery image.
                let marketplace = rel.ends_with("vm-simple-ashci-windows")
                    || (rel.ends_with("vm-windows-disks-and-adjoin")
                        && params.get("isMarketplaceImage") != Some(&json!(false)));
                let ty = if marketplace {
                    "marketplaceGalleryImages"
                } else {
                    "galleryImages"
                };
                let os = if rel.ends_with("linux") {
                    "Linux"
                } else {
                    "Windows"
                };
                out.push((
                    format!("{rg}/providers/Microsoft.AzureStackHCI/{ty}/{image}"),
                    json!({"location": loc, "extendedLocation": ext, "properties": {"osType": os, "hyperVGeneration": "V2"}}),
                ));
            }
        }
    }
    // Resources named by parameters whose descriptions say they must
    // already exist, created where the parameters put them.
    let sub_rg = |g: &str| format!("{sub}/resourceGroups/{g}");
    match rel {
        // "The resource group name where MSI and alert will be created";
        // "… in which the newrelic resource will be created": nested
        // deployments into a group that must exist (ARM does not create it).
        "microsoft.azurebusinesscontinuity/business-continuity-latest-recovery-point-age-alerts"
        | "newrelic.observability/newrelic" => {
            out.push((
                sub_rg(&param(params, "resourceGroupName")),
                json!({"location": loc}),
            ));
        }
        // "Name of the virtual machine" to decrypt / the "List of virtual
        // machines to be domain joined": running Windows VMs.
        "microsoft.compute/decrypt-running-windows-vm" => {
            out.extend(windows_vm(rg, &param(params, "vmName"), &loc));
        }
        "microsoft.compute/vm-domain-join-existing" => {
            for vm in param(params, "vmList").split(',') {
                out.extend(windows_vm(rg, vm.trim(), &loc));
            }
        }
        // "your existing data factory name" (a Data Factory v1 factory,
        // `Microsoft.DataFactory/dataFactories`) and "your existing vnet
        // name" with its subnet, in the groups the parameters name.
        "microsoft.compute/vm-with-data-management-gateway"
        | "microsoft.datafactory/mutiple-vms-with-data-management-gateway" => {
            let df_rg = match param(params, "existingDataFactoryResourceGroup") {
                g if g.is_empty() => rg.to_string(),
                g => sub_rg(&g),
            };
            let vnet_loc = param(params, "existingVnetLocation");
            out.push((
                format!(
                    "{df_rg}/providers/Microsoft.DataFactory/dataFactories/{}",
                    param(params, "existingDataFactoryName")
                ),
                json!({"location": vnet_loc, "properties": {}}),
            ));
            out.push((
                format!(
                    "{}/providers/Microsoft.Network/virtualNetworks/{}",
                    sub_rg(&param(params, "existingVnetResourceGroupName")),
                    param(params, "existingVirtualNetworkName")
                ),
                json!({"location": vnet_loc, "properties": {
                    "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
                    "subnets": [{"name": param(params, "existingSubnetInYourVnet"), "properties": {"addressPrefix": "10.20.0.0/24"}}]}}),
            ));
        }
        // "Name of the Azure storage account that contains the input/output
        // data", in "the resource group that contains your Azure storage
        // account".
        "microsoft.datafactory/data-factory-ftp-hive-blob"
        | "microsoft.datafactory/data-factory-hive-transformation" => {
            out.push((
                format!(
                    "{}/providers/Microsoft.Storage/storageAccounts/{}",
                    sub_rg(&param(params, "storageAccountResourceGroupName")),
                    param(params, "storageAccountName")
                ),
                json!({"location": loc, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "properties": {}}),
            ));
        }
        // "The Circuit must be already created and provisioned": an
        // ExpressRoute circuit whose provider has provisioned it.
        "microsoft.network/expressroute-circuit-vnet-connection" => {
            out.push((
                format!(
                    "{rg}/providers/Microsoft.Network/expressRouteCircuits/{}",
                    param(params, "circuitName")
                ),
                json!({"location": loc, "sku": {"name": "Standard_MeteredData", "tier": "Standard", "family": "MeteredData"},
                       "properties": {"serviceProviderProperties": {"serviceProviderName": "Equinix", "peeringLocation": "Silicon Valley", "bandwidthInMbps": 50},
                                      "serviceProviderProvisioningState": "Provisioned"}}),
            ));
        }
        // "Name of the Existing Recovery Services Vault" and "Name of
        // existing Backup Policy in same Recovery Services Vault" (the
        // VMs' protection containers are the vault's built-in children
        // once it has discovered them).
        "microsoft.recoveryservices/recovery-services-backup-classic-resource-manager-vms" => {
            let vault = format!(
                "{rg}/providers/Microsoft.RecoveryServices/vaults/{}",
                param(params, "existingRecoveryServicesVaultName")
            );
            out.push((
                vault.clone(),
                json!({"location": loc, "sku": {"name": "RS0", "tier": "Standard"}, "properties": {}}),
            ));
            out.push((
                format!(
                    "{vault}/backupPolicies/{}",
                    param(params, "existingBackupPolicyName")
                ),
                json!({"properties": {"backupManagementType": "AzureIaasVM",
                    "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily", "scheduleRunTimes": ["2026-01-01T02:00:00Z"]},
                    "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy", "dailySchedule": {"retentionTimes": ["2026-01-01T02:00:00Z"], "retentionDuration": {"count": 30, "durationType": "Days"}}}}}),
            ));
        }
        // An availability group listener on an existing SQL VM group
        // ("the failover cluster"), its SQL VMs, their virtual network's
        // subnet and "existing internal load balancer".
        "microsoft.sqlvirtualmachine/sql-vm-aglistener-setup" => {
            let vnet_rg = match param(params, "existingVnetResourcegroup") {
                g if g.is_empty() => rg.to_string(),
                g => sub_rg(&g),
            };
            let subnet = format!(
                "{vnet_rg}/providers/Microsoft.Network/virtualNetworks/{}/subnets/{}",
                param(params, "existingVnet"),
                param(params, "existingSubnet")
            );
            out.push((
                subnet.rsplit_once("/subnets/").map_or(subnet.clone(), |(v, _)| v.to_string()),
                json!({"location": loc, "properties": {
                    "addressSpace": {"addressPrefixes": ["10.40.0.0/16"]},
                    "subnets": [{"name": param(params, "existingSubnet"), "properties": {"addressPrefix": "10.40.0.0/24"}}]}}),
            ));
            out.push((
                format!(
                    "{rg}/providers/Microsoft.Network/loadBalancers/{}",
                    param(params, "existingInternalLoadBalancer")
                ),
                json!({"location": loc, "sku": {"name": "Standard"}, "properties": {"frontendIPConfigurations": [
                    {"name": "frontend", "properties": {"privateIPAllocationMethod": "Dynamic", "subnet": {"id": subnet}}}]}}),
            ));
            let group = format!(
                "{rg}/providers/Microsoft.SqlVirtualMachine/sqlVirtualMachineGroups/{}",
                param(params, "existingFailoverClusterName")
            );
            out.push((
                group.clone(),
                json!({"location": loc, "properties": {"sqlImageOffer": "SQL2019-WS2022", "sqlImageSku": "Enterprise",
                    "wsfcDomainProfile": {"domainFqdn": "contoso.com", "clusterSubnetType": "SingleSubnet"}}}),
            ));
            for vm in param(params, "existingVmList").split(',').map(str::trim) {
                let machine = windows_vm(rg, vm, &loc);
                let vm_id = machine[2].0.clone();
                out.extend(machine);
                out.push((
                    format!("{rg}/providers/Microsoft.SqlVirtualMachine/sqlVirtualMachines/{vm}"),
                    json!({"location": loc, "properties": {"virtualMachineResourceId": vm_id,
                        "sqlImageOffer": "SQL2019-WS2022", "sqlImageSku": "Enterprise",
                        "sqlVirtualMachineGroupResourceId": group}}),
                ));
            }
        }
        // "The default SSL certificate will be configured for this App
        // Service Environment": an existing ILB ASE (v3, in its subnet).
        // The sample leaves `existingAseLocation` as "changeme" ("Set this
        // to the same location as the App Service Environment"): it is
        // set to where the ASE is.
        "microsoft.web/web-app-ase-ilb-configure-default-ssl" => {
            let ase = param(params, "appServiceEnvironmentName");
            let net = format!("{rg}/providers/Microsoft.Network/virtualNetworks/{ase}-vnet");
            params.insert("existingAseLocation".into(), json!(loc));
            out.push((
                net.clone(),
                json!({"location": loc, "properties": {
                    "addressSpace": {"addressPrefixes": ["10.50.0.0/16"]},
                    "subnets": [{"name": "ase", "properties": {"addressPrefix": "10.50.0.0/24",
                        "delegations": [{"name": "ase", "properties": {"serviceName": "Microsoft.Web/hostingEnvironments"}}]}}]}}),
            ));
            out.push((
                format!("{rg}/providers/Microsoft.Web/hostingEnvironments/{ase}"),
                json!({"location": loc, "kind": "ASEV3", "properties": {
                    "virtualNetwork": {"id": format!("{net}/subnets/ase")},
                    "internalLoadBalancingMode": "Web, Publishing"}}),
            ));
        }
        // GEN-KEYVAULT-SUBSCRIPTION-ID: the subscription of the CI's
        // standing Key Vault, which here is this harness's subscription
        // ([`ci_gen_setup`]); the shared filler cannot know it.
        "microsoft.keyvault/key-vault-use-dynamic-id" => {
            params.insert("vaultSubscription".into(), json!(target.subscription));
        }
        // GEN-KEYVAULT-NAME / GEN-KEYVAULT-SSL-SECRET-NAME name the CI's
        // standing vault and its certificate secret, which live in the
        // CI's own resource group (the template defaults the vault's
        // group to the deployment's; the CI points it at its vault).
        "microsoft.cdn/front-door-standard-premium-custom-domain-customer-certificate" => {
            params.insert(
                "certificateKeyVaultResourceGroupName".into(),
                json!("azrelo-placeholder"),
            );
        }
        _ => {}
    }
    out
}

/// A running Windows VM `name` with its network interface and virtual
/// network, as a user would have created it.
fn windows_vm(rg: &str, name: &str, loc: &str) -> Vec<(String, Value)> {
    let net = format!("{rg}/providers/Microsoft.Network/virtualNetworks/{name}-vnet");
    let nic = format!("{rg}/providers/Microsoft.Network/networkInterfaces/{name}-nic");
    vec![
        (
            net.clone(),
            json!({"location": loc, "properties": {
                "addressSpace": {"addressPrefixes": ["10.30.0.0/16"]},
                "subnets": [{"name": "default", "properties": {"addressPrefix": "10.30.0.0/24"}}]}}),
        ),
        (
            nic.clone(),
            json!({"location": loc, "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
                "privateIPAllocationMethod": "Dynamic", "subnet": {"id": format!("{net}/subnets/default")}}}]}}),
        ),
        (
            format!("{rg}/providers/Microsoft.Compute/virtualMachines/{name}"),
            json!({"location": loc, "properties": {
                "hardwareProfile": {"vmSize": "Standard_D2s_v3"},
                "osProfile": {"computerName": name, "adminUsername": "azrelo", "adminPassword": "Azrelo-Test-P@ssw0rd-1"},
                "storageProfile": {
                    "imageReference": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter", "version": "latest"},
                    "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}}},
                "networkProfile": {"networkInterfaces": [{"id": nic}]}}}),
        ),
    ]
}

/// PUT the pre-existing resources, creating the resource groups they live
/// in (other than the deployment's) first; the ids created. A
/// prerequisite the emulator refuses is a bug in this harness: it panics
/// with the answer.
async fn provision(
    em: &Emulator,
    rg: &str,
    resources: Vec<(String, Value)>,
    loc: &str,
) -> Vec<String> {
    let mut created = Vec::new();
    let mut groups: Vec<String> = vec![rg.to_ascii_lowercase()];
    for (id, body) in resources {
        let lower = id.to_ascii_lowercase();
        if let Some(i) = lower.find("/resourcegroups/") {
            let end = lower[i + 16..]
                .find('/')
                .map_or(lower.len(), |j| i + 16 + j);
            let g = &id[..end];
            if !groups.contains(&g.to_ascii_lowercase()) {
                groups.push(g.to_ascii_lowercase());
                put(em, g, json!({"location": loc})).await;
                created.push(g.to_string());
            }
        }
        let r = put(em, &id, body).await;
        assert!(
            r.get("error").is_none(),
            "pre-existing resource {id} was refused: {r}"
        );
        created.push(id);
    }
    created
}

/// `_artifactsLocation` for a template in `dir`, when it declares one.
fn artifacts_location(doc: &Value, dir: &Path) -> Vec<(String, Value)> {
    if doc["parameters"].get("_artifactsLocation").is_none() {
        return Vec::new();
    }
    let root = corpus("quickstarts");
    let rel = dir.strip_prefix(&root).unwrap_or(dir).display().to_string();
    vec![(
        "_artifactsLocation".into(),
        json!(format!("{UPSTREAM}{}/", rel.trim_end_matches('/'))),
    )]
}

/// `namespace/name` of a quickstart directory.
fn short(d: &Path) -> String {
    let parent = d.parent().and_then(Path::parent).unwrap_or(d);
    d.strip_prefix(parent).unwrap_or(d).display().to_string()
}

fn is_subscription_template(doc: &Value) -> bool {
    doc["$schema"]
        .as_str()
        .is_some_and(|s| s.contains("subscriptionDeploymentTemplate"))
}

/// Deploy `template` (read from `file`) with `params` where it belongs:
/// the resource group `rg`, or the subscription for a subscription-scope
/// template. Like the quickstarts' CI, the template is deployed by link
/// (`templateLink.uri` under [`UPSTREAM`], served by the emulator's mirror
/// of the corpus), so `relativePath` links and
/// `deployment().properties.templateLink.uri` work as in Azure.
async fn deploy(
    em: &Emulator,
    rg: &str,
    target: &Target,
    name: &str,
    (template, file): (&Value, &Path),
    params: IndexMap<String, Value>,
) -> Value {
    let parameters: serde_json::Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| {
            // The shared filler marks `"reference": "GEN-KEYVAULT-PASSWORD-REFERENCE"`
            // parameters; the CI passes a Key Vault reference to its
            // standing vault's password secret, and so does this test.
            let is_kv = v
                .get(azrelo_template::value::UNKNOWN_MARKER)
                .and_then(|m| m.as_str())
                .is_some_and(|m| m.starts_with("Key Vault reference"));
            let p = if is_kv {
                json!({"reference": {
                    "keyVault": {"id": format!("{}/resourceGroups/azrelo-placeholder/providers/Microsoft.KeyVault/vaults/azrelo-placeholder", target.subscription_path())},
                    "secretName": "azrelo-placeholder",
                }})
            } else {
                json!({"value": v})
            };
            (k, p)
        })
        .collect();
    let root = corpus("quickstarts");
    let rel = file
        .strip_prefix(&root)
        .unwrap_or(file)
        .display()
        .to_string();
    let uri = format!("{UPSTREAM}{rel}");
    let mut body = json!({"properties": {"mode": "Incremental", "templateLink": {"uri": uri}, "parameters": parameters}});
    let path = if is_subscription_template(template) {
        body["location"] = json!(target.location);
        format!(
            "{}/providers/Microsoft.Resources/deployments/{name}",
            target.subscription_path()
        )
    } else {
        format!("{rg}/providers/Microsoft.Resources/deployments/{name}")
    };
    put(em, &path, body).await
}

/// The first error of a failed deployment, as `code: message`.
fn reason(r: &Value) -> String {
    let e = &r["properties"]["error"];
    let e = if e.is_null() { &r["error"] } else { e };
    let d = if e["details"][0].is_object() {
        &e["details"][0]
    } else {
        e
    };
    format!(
        "{}: {}",
        d["code"].as_str().unwrap_or("?"),
        d["message"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(220)
            .collect::<String>()
    )
}

/// Deploy `prereqs/prereq.azuredeploy.json` when the quickstart has one;
/// its outputs (name → value).
async fn deploy_prereq(
    em: &Emulator,
    rg: &str,
    target: &Target,
    d: &Path,
) -> Result<Value, String> {
    let t = d.join("prereqs/prereq.azuredeploy.json");
    if !t.exists() {
        return Ok(Value::Null);
    }
    let text = std::fs::read_to_string(&t).map_err(|e| e.to_string())?;
    let doc = azrelo_template::json::parse(&text, "prereq.azuredeploy.json")
        .map_err(|e| e.to_string())?;
    let pf = d.join("prereqs/prereq.azuredeploy.parameters.json");
    let params = quickstart_parameters(&pf, &doc, artifacts_location(&doc, &d.join("prereqs")));
    let r = deploy(em, rg, target, "prereq", (&doc, &t), params).await;
    if r["properties"]["provisioningState"] != "Succeeded" {
        return Err(reason(&r));
    }
    Ok(r)
}

/// Parameters whose sample value is `GET-PREREQ-<output>`, from the outputs.
fn prereq_values(
    params_file: &Path,
    outputs: &serde_json::Map<String, Value>,
) -> Vec<(String, Value)> {
    let Ok(text) = std::fs::read_to_string(params_file) else {
        return Vec::new();
    };
    let Ok(doc) = azrelo_template::json::parse(&text, "azuredeploy.parameters.json") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in doc["parameters"].as_object().into_iter().flatten() {
        if let Some(name) = v["value"]
            .as_str()
            .and_then(|s| s.strip_prefix("GET-PREREQ-"))
            && let Some((_, o)) = outputs.iter().find(|(o, _)| o.eq_ignore_ascii_case(name))
        {
            out.push((k.clone(), o["value"].clone()));
        }
    }
    out
}

/// Replace `GET-PREREQ-<output>` strings nested anywhere in `v`.
fn substitute_prereq(v: &mut Value, outputs: &serde_json::Map<String, Value>) {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("GET-PREREQ-")
                && let Some((_, o)) = outputs.iter().find(|(o, _)| o.eq_ignore_ascii_case(name))
            {
                *v = o["value"].clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute_prereq(x, outputs)),
        Value::Object(m) => m.values_mut().for_each(|x| substitute_prereq(x, outputs)),
        _ => {}
    }
}
