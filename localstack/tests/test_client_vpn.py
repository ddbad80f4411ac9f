"""AWS Client VPN (airgap_ext/client_vpn.py): endpoints, target networks, authorization
rules, routes, the revocation list and the client configuration, with AWS's rules and
answers (sources in docs/emulator-fidelity.md, "EC2: Client VPN")."""

import datetime

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import wait_for

NOW = datetime.datetime.now(datetime.timezone.utc)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(cn, key, issuer, issuer_key, ca=False):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(obj):
    return obj.public_bytes(serialization.Encoding.PEM)


class Pki:
    """A small CA and a server certificate it signed (the guide's mutual authentication:
    server and client certificates from one CA), and a CRL of that CA."""

    def __init__(self):
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = _cert("airgap-test-ca", self.ca_key, _name("airgap-test-ca"), self.ca_key, True)
        self.server_key = ec.generate_private_key(ec.SECP256R1())
        self.server = _cert("vpn.airgap.test", self.server_key, self.ca.subject, self.ca_key)

    def import_server(self, acm):
        key = self.server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return acm.import_certificate(
            Certificate=_pem(self.server), PrivateKey=key, CertificateChain=_pem(self.ca)
        )["CertificateArn"]

    def crl(self, revoked_serial=1234):
        revoked = (
            x509.RevokedCertificateBuilder()
            .serial_number(revoked_serial)
            .revocation_date(NOW)
            .build()
        )
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca.subject)
            .last_update(NOW)
            .next_update(NOW + datetime.timedelta(days=7))
            .add_revoked_certificate(revoked)
            .sign(self.ca_key, hashes.SHA256())
        )
        return crl.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def pki():
    return Pki()


def _code(e):
    return e.value.response["Error"]["Code"]


def _network(ec2, cidr="10.20.0.0/16", azs=("us-east-1a", "us-east-1b")):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    a, b = cidr.split(".")[:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{a}.{b}.{i}.0/24", AvailabilityZone=az)[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate(azs)
    ]
    return vpc, subnets


def _endpoint(ec2, cert, vpc=None, cidr="172.16.0.0/22", **extra):
    kwargs = dict(
        ClientCidrBlock=cidr,
        ServerCertificateArn=cert,
        AuthenticationOptions=[
            {
                "Type": "certificate-authentication",
                "MutualAuthentication": {"ClientRootCertificateChainArn": cert},
            }
        ],
        ConnectionLogOptions={"Enabled": False},
    )
    kwargs.update(extra)
    if vpc:
        kwargs["VpcId"] = vpc
    return ec2.create_client_vpn_endpoint(**kwargs)


def _state(ec2, eid):
    return ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[eid])["ClientVpnEndpoints"][0][
        "Status"
    ]["Code"]


def test_an_endpoint_needs_acm_certificates_and_a_client_cidr_of_22_to_12(account, pki):
    ec2, acm = account.client("ec2"), account.client("acm")
    cert = pki.import_server(acm)
    unknown = cert.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as e:
        _endpoint(ec2, unknown)
    assert _code(e) == "InvalidParameterValue"
    assert unknown in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        ec2.create_client_vpn_endpoint(
            ClientCidrBlock="172.16.0.0/22",
            ServerCertificateArn=cert,
            AuthenticationOptions=[
                {
                    "Type": "certificate-authentication",
                    "MutualAuthentication": {"ClientRootCertificateChainArn": unknown},
                }
            ],
            ConnectionLogOptions={"Enabled": False},
        )
    assert _code(e) == "InvalidParameterValue"
    for cidr in ("172.16.0.0/23", "172.0.0.0/11"):
        with pytest.raises(ClientError) as e:
            _endpoint(ec2, cert, cidr=cidr)
        assert _code(e) == "InvalidParameterValue", cidr
    with pytest.raises(ClientError) as e:
        _endpoint(ec2, cert, DnsServers=["10.0.0.2", "10.0.0.3", "10.0.0.4"])
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        _endpoint(ec2, cert, VpnPort=8443)
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        _endpoint(ec2, cert, ConnectionLogOptions={"Enabled": True})
    assert _code(e) == "MissingParameter"
    # the certificate of another account is unknown here too
    assert not ec2.describe_client_vpn_endpoints()["ClientVpnEndpoints"]


def test_create_describe_modify_tags_and_client_token(account, pki):
    ec2, acm = account.client("ec2"), account.client("acm")
    cert = pki.import_server(acm)
    vpc, _ = _network(ec2)
    token = "cvpn-token-1"
    made = _endpoint(
        ec2,
        cert,
        vpc,
        ClientToken=token,
        SplitTunnel=True,
        TransportProtocol="tcp",
        TagSpecifications=[
            {"ResourceType": "client-vpn-endpoint", "Tags": [{"Key": "Name", "Value": "access"}]}
        ],
    )
    eid = made["ClientVpnEndpointId"]
    assert made["Status"]["Code"] == "pending-associate"
    assert made["DnsName"] == f"{eid}.prod.clientvpn.us-east-1.amazonaws.com"
    again = _endpoint(
        ec2,
        cert,
        vpc,
        ClientToken=token,
        SplitTunnel=True,
        TransportProtocol="tcp",
        TagSpecifications=[
            {"ResourceType": "client-vpn-endpoint", "Tags": [{"Key": "Name", "Value": "access"}]}
        ],
    )
    assert again["ClientVpnEndpointId"] == eid
    with pytest.raises(ClientError) as e:
        _endpoint(ec2, cert, vpc, ClientToken=token)
    assert _code(e) == "IdempotentParameterMismatch"
    found = ec2.describe_client_vpn_endpoints(Filters=[{"Name": "tag:Name", "Values": ["access"]}])[
        "ClientVpnEndpoints"
    ]
    assert [f["ClientVpnEndpointId"] for f in found] == [eid]
    ep = found[0]
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert ep["VpcId"] == vpc and ep["SecurityGroupIds"] == [default_sg]
    assert ep["TransportProtocol"] == "tcp" and ep["SplitTunnel"] is True
    assert ep["VpnPort"] == 443 and ep["VpnProtocol"] == "openvpn"
    mutual = ep["AuthenticationOptions"][0]["MutualAuthentication"]
    assert mutual["ClientRootCertificateChain"] == cert
    with pytest.raises(ClientError) as e:
        ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=["cvpn-endpoint-0123456789abcdef0"])
    assert _code(e) == "InvalidClientVpnEndpointId.NotFound"
    ec2.modify_client_vpn_endpoint(
        ClientVpnEndpointId=eid,
        DnsServers={"CustomDnsServers": ["10.20.0.2"], "Enabled": True},
        VpnPort=1194,
        Description="private access",
    )
    ec2.create_tags(Resources=[eid], Tags=[{"Key": "env", "Value": "t"}])
    ep = ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[eid])["ClientVpnEndpoints"][0]
    assert ep["DnsServers"] == ["10.20.0.2"] and ep["VpnPort"] == 1194
    assert ep["Description"] == "private access"
    assert {t["Key"]: t["Value"] for t in ep["Tags"]} == {"Name": "access", "env": "t"}
    ec2.delete_tags(Resources=[eid], Tags=[{"Key": "env"}])
    ep = ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[eid])["ClientVpnEndpoints"][0]
    assert [t["Key"] for t in ep["Tags"]] == ["Name"]


def test_association_makes_the_endpoint_available_and_its_interface_holds_the_subnet(
    account, pki, time_scale
):
    ec2, acm = account.client("ec2"), account.client("acm")
    cert = pki.import_server(acm)
    vpc, (sn, _) = _network(ec2)
    eid = _endpoint(ec2, cert, vpc)["ClientVpnEndpointId"]
    time_scale(account, 0.02)  # association 30 s -> 0.6 s
    assoc = ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=sn)
    aid = assoc["AssociationId"]
    assert assoc["Status"]["Code"] == "associating"
    assert _state(ec2, eid) == "pending-associate"
    wait_for(
        lambda: ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=eid)[
            "ClientVpnTargetNetworks"
        ][0]["Status"]["Code"]
        == "associated",
        10,
    )
    assert _state(ec2, eid) == "available"
    ep = ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[eid])["ClientVpnEndpoints"][0]
    assert ep["AssociatedTargetNetworks"] == [{"NetworkId": sn, "NetworkType": "vpc"}]
    routes = ec2.describe_client_vpn_routes(ClientVpnEndpointId=eid)["Routes"]
    assert [(r["DestinationCidr"], r["TargetSubnet"], r["Origin"]) for r in routes] == [
        ("10.20.0.0/16", sn, "associate")
    ]
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [sn]}])[
        "NetworkInterfaces"
    ]
    assert len(enis) == 1 and enis[0]["RequesterManaged"] is True
    assert eid in enis[0]["Description"]
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=sn)
    assert _code(e) == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=eid)
    assert _code(e) == "ClientVpnEndpointAssociationExists"
    assert aid in e.value.response["Error"]["Message"]

    gone = ec2.disassociate_client_vpn_target_network(ClientVpnEndpointId=eid, AssociationId=aid)
    assert gone["Status"]["Code"] == "disassociating"
    with pytest.raises(ClientError) as e:  # still held while disassociating
        ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=eid)
    assert _code(e) == "ClientVpnEndpointAssociationExists"
    wait_for(
        lambda: not ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=eid)[
            "ClientVpnTargetNetworks"
        ],
        10,
    )
    assert _state(ec2, eid) == "pending-associate"
    assert ec2.describe_client_vpn_routes(ClientVpnEndpointId=eid)["Routes"] == []
    with pytest.raises(ClientError) as e:
        ec2.disassociate_client_vpn_target_network(ClientVpnEndpointId=eid, AssociationId=aid)
    assert _code(e) == "InvalidClientVpnAssociationIdNotFound"
    time_scale(account, 0)
    assert ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=eid)["Status"]["Code"] == "deleting"
    ec2.delete_subnet(SubnetId=sn)
    with pytest.raises(ClientError) as e:
        ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[eid])
    assert _code(e) == "InvalidClientVpnEndpointId.NotFound"


def test_target_network_rules(account, other_account, pki):
    ec2, acm = account.client("ec2"), account.client("acm")
    cert = pki.import_server(acm)
    vpc, (sn_a, sn_b) = _network(ec2)
    eid = _endpoint(ec2, cert, vpc)["ClientVpnEndpointId"]
    other_vpc, (elsewhere, _) = _network(ec2, cidr="10.30.0.0/16")
    with pytest.raises(ClientError) as e:
        ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=elsewhere)
    assert _code(e) == "InvalidClientVpnSubnetId.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.associate_client_vpn_target_network(
            ClientVpnEndpointId=eid, SubnetId="subnet-0123456789abcdef0"
        )
    assert _code(e) == "InvalidSubnetID.NotFound"
    ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=sn_a)
    with pytest.raises(ClientError) as e:
        ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=sn_a)
    assert _code(e) == "InvalidClientVpnDuplicateAssociationException"
    same_az = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.9.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"
    ]["SubnetId"]
    with pytest.raises(ClientError) as e:
        ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=same_az)
    assert _code(e) == "InvalidClientVpnSubnetId.DuplicateAz"
    small = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.10.0/28", AvailabilityZone="us-east-1c")[
        "Subnet"
    ]["SubnetId"]
    with pytest.raises(ClientError) as e:
        ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=small)
    assert _code(e) == "InvalidParameterValue"
    ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=sn_b)
    # a client CIDR inside the VPC of the subnet: refused at association
    overlapping = _endpoint(ec2, cert, other_vpc, cidr="10.30.0.0/22")["ClientVpnEndpointId"]
    with pytest.raises(ClientError) as e:
        ec2.associate_client_vpn_target_network(ClientVpnEndpointId=overlapping, SubnetId=elsewhere)
    assert _code(e) == "InvalidClientVpnSubnetId.OverlappingCidr"
    # a subnet of another account (shared through RAM) cannot be a target network
    shared_vpc, (shared, _) = _network(other_account.client("ec2"), cidr="10.40.0.0/16")
    ram = other_account.client("ram")
    share = ram.create_resource_share(
        name="subnets",
        resourceArns=[f"arn:aws:ec2:us-east-1:{other_account.id}:subnet/{shared}"],
        principals=[account.id],
    )["resourceShare"]["resourceShareArn"]
    mine = account.client("ram")
    inv = mine.get_resource_share_invitations(resourceShareArns=[share])[
        "resourceShareInvitations"
    ][0]["resourceShareInvitationArn"]
    mine.accept_resource_share_invitation(resourceShareInvitationArn=inv)
    free = _endpoint(ec2, cert)["ClientVpnEndpointId"]
    with pytest.raises(ClientError) as e:
        ec2.associate_client_vpn_target_network(ClientVpnEndpointId=free, SubnetId=shared)
    assert _code(e) == "InvalidClientVpnSubnetId.DifferentAccount"


def test_authorization_rules(account, pki):
    ec2, acm = account.client("ec2"), account.client("acm")
    eid = _endpoint(ec2, pki.import_server(acm))["ClientVpnEndpointId"]
    got = ec2.authorize_client_vpn_ingress(
        ClientVpnEndpointId=eid, TargetNetworkCidr="10.50.0.0/16", AuthorizeAllGroups=True
    )
    assert got["Status"]["Code"] == "authorizing"
    with pytest.raises(ClientError) as e:
        ec2.authorize_client_vpn_ingress(
            ClientVpnEndpointId=eid, TargetNetworkCidr="10.50.0.0/16", AuthorizeAllGroups=True
        )
    assert _code(e) == "InvalidClientVpnDuplicateAuthorizationRule"
    with pytest.raises(ClientError) as e:
        ec2.authorize_client_vpn_ingress(ClientVpnEndpointId=eid, TargetNetworkCidr="10.60.0.0/16")
    assert _code(e) == "MissingParameter"
    rules = ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=eid)[
        "AuthorizationRules"
    ]
    assert [
        (r["DestinationCidr"], r["AccessAll"], r["GroupId"], r["Status"]["Code"]) for r in rules
    ] == [("10.50.0.0/16", True, "", "active")]
    assert (
        ec2.revoke_client_vpn_ingress(
            ClientVpnEndpointId=eid, TargetNetworkCidr="10.50.0.0/16", RevokeAllGroups=True
        )["Status"]["Code"]
        == "revoking"
    )
    with pytest.raises(ClientError) as e:
        ec2.revoke_client_vpn_ingress(
            ClientVpnEndpointId=eid, TargetNetworkCidr="10.50.0.0/16", RevokeAllGroups=True
        )
    assert _code(e) == "InvalidClientVpnEndpointAuthorizationRuleNotFound"


def test_routes_go_through_associated_subnets(account, pki):
    ec2, acm = account.client("ec2"), account.client("acm")
    vpc, (sn_a, sn_b) = _network(ec2)
    eid = _endpoint(ec2, pki.import_server(acm), vpc)["ClientVpnEndpointId"]
    with pytest.raises(ClientError) as e:  # nothing associated yet
        ec2.create_client_vpn_route(
            ClientVpnEndpointId=eid, DestinationCidrBlock="10.100.0.0/16", TargetVpcSubnetId=sn_a
        )
    assert _code(e) == "InvalidClientVpnActiveAssociationNotFound"
    ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=sn_a)
    with pytest.raises(ClientError) as e:  # a subnet that is not a target network
        ec2.create_client_vpn_route(
            ClientVpnEndpointId=eid, DestinationCidrBlock="10.100.0.0/16", TargetVpcSubnetId=sn_b
        )
    assert _code(e) == "InvalidClientVpnActiveAssociationNotFound"
    made = ec2.create_client_vpn_route(
        ClientVpnEndpointId=eid, DestinationCidrBlock="10.100.0.0/16", TargetVpcSubnetId=sn_a
    )
    assert made["Status"]["Code"] == "creating"
    with pytest.raises(ClientError) as e:
        ec2.create_client_vpn_route(
            ClientVpnEndpointId=eid, DestinationCidrBlock="10.100.0.0/16", TargetVpcSubnetId=sn_a
        )
    assert _code(e) == "InvalidClientVpnDuplicateRoute"
    with pytest.raises(ClientError) as e:  # the VPC's route came with the association
        ec2.create_client_vpn_route(
            ClientVpnEndpointId=eid, DestinationCidrBlock="10.20.0.0/16", TargetVpcSubnetId=sn_a
        )
    assert _code(e) == "InvalidClientVpnDuplicateRoute"
    with pytest.raises(ClientError) as e:  # overlaps the client CIDR
        ec2.create_client_vpn_route(
            ClientVpnEndpointId=eid, DestinationCidrBlock="172.16.0.0/16", TargetVpcSubnetId=sn_a
        )
    assert _code(e) == "InvalidParameterValue"
    routes = ec2.describe_client_vpn_routes(
        ClientVpnEndpointId=eid, Filters=[{"Name": "origin", "Values": ["add-route"]}]
    )["Routes"]
    assert [(r["DestinationCidr"], r["TargetSubnet"], r["Status"]["Code"]) for r in routes] == [
        ("10.100.0.0/16", sn_a, "active")
    ]
    with pytest.raises(ClientError) as e:
        ec2.delete_client_vpn_route(ClientVpnEndpointId=eid, DestinationCidrBlock="10.20.0.0/16")
    assert _code(e) == "InvalidParameterValue"
    assert (
        ec2.delete_client_vpn_route(
            ClientVpnEndpointId=eid, DestinationCidrBlock="10.100.0.0/16", TargetVpcSubnetId=sn_a
        )["Status"]["Code"]
        == "deleting"
    )
    with pytest.raises(ClientError) as e:
        ec2.delete_client_vpn_route(ClientVpnEndpointId=eid, DestinationCidrBlock="10.100.0.0/16")
    assert _code(e) == "InvalidClientVpnRouteNotFound"


def test_security_groups_apply_to_the_interfaces(account, pki):
    ec2, acm = account.client("ec2"), account.client("acm")
    vpc, (sn, _) = _network(ec2)
    eid = _endpoint(ec2, pki.import_server(acm), vpc)["ClientVpnEndpointId"]
    ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=sn)
    sg = ec2.create_security_group(GroupName="vpn", Description="vpn", VpcId=vpc)["GroupId"]
    applied = ec2.apply_security_groups_to_client_vpn_target_network(
        ClientVpnEndpointId=eid, VpcId=vpc, SecurityGroupIds=[sg]
    )
    assert applied["SecurityGroupIds"] == [sg]
    eni = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [sn]}])[
        "NetworkInterfaces"
    ][0]
    assert [g["GroupId"] for g in eni["Groups"]] == [sg]
    assert ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=eid)[
        "ClientVpnTargetNetworks"
    ][0]["SecurityGroups"] == [sg]
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=sg)
    assert _code(e) == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.apply_security_groups_to_client_vpn_target_network(
            ClientVpnEndpointId=eid, VpcId=vpc, SecurityGroupIds=["sg-0123456789abcdef0"]
        )
    assert _code(e) == "InvalidSecurityGroupID.NotFound"


def test_revocation_list_round_trip_and_client_configuration(account, pki, time_scale):
    ec2, acm = account.client("ec2"), account.client("acm")
    eid = _endpoint(ec2, pki.import_server(acm), TransportProtocol="tcp")["ClientVpnEndpointId"]
    with pytest.raises(ClientError) as e:
        ec2.import_client_vpn_client_certificate_revocation_list(
            ClientVpnEndpointId=eid, CertificateRevocationList="not a CRL"
        )
    assert _code(e) == "InvalidParameterValue"
    crl = pki.crl()
    time_scale(account, 0.1)  # the list is pending for 0.5 s
    assert ec2.import_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=eid, CertificateRevocationList=crl
    )["Return"]
    got = ec2.export_client_vpn_client_certificate_revocation_list(ClientVpnEndpointId=eid)
    assert got["CertificateRevocationList"] == crl
    assert got["Status"]["Code"] == "pending"
    wait_for(
        lambda: ec2.export_client_vpn_client_certificate_revocation_list(
            ClientVpnEndpointId=eid
        )["Status"]["Code"]
        == "active",
        10,
    )
    parsed = x509.load_pem_x509_crl(
        ec2.export_client_vpn_client_certificate_revocation_list(ClientVpnEndpointId=eid)[
            "CertificateRevocationList"
        ].encode()
    )
    assert parsed.get_revoked_certificate_by_serial_number(1234) is not None

    config = ec2.export_client_vpn_client_configuration(ClientVpnEndpointId=eid)[
        "ClientConfiguration"
    ]
    lines = config.splitlines()
    assert lines[0] == "client" and "proto tcp" in lines
    assert f"remote {eid}.prod.clientvpn.us-east-1.amazonaws.com 443" in lines
    assert "remote-random-hostname" in lines
    ca = config.split("<ca>\n", 1)[1].split("\n</ca>", 1)[0]
    assert x509.load_pem_x509_certificate(ca.encode()).subject == pki.ca.subject
