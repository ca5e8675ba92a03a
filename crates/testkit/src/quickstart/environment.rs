//! The environment a quickstart acts on without creating it: what the
//! quickstarts' CI (or the sample's README) has in place before the
//! deployment.

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::Target;

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
pub(super) fn location_of(params: &IndexMap<String, Value>, default: &str) -> String {
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
pub(super) fn pre_existing(
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
