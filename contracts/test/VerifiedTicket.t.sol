// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {KycRegistry} from "../src/KycRegistry.sol";
import {VerifiedTicket} from "../src/examples/VerifiedTicket.sol";
import {Test} from "./utils/Test.sol";

/// @dev The one cheatcode these tests need that `utils/Vm.sol` does not declare.
interface VmDeal {
    function deal(address account, uint256 newBalance) external;
}

contract VerifiedTicketTest is Test {
    VmDeal internal constant vmDeal = VmDeal(VM_ADDRESS);

    uint16 internal constant DOCUMENT = 1;
    uint16 internal constant FACE = 2;
    uint16 internal constant REQUIRED_EVIDENCE = DOCUMENT | FACE;

    uint256 internal constant BUYER_KEY = 0xB0E1;
    uint256 internal constant HOLDER_KEY = 0xB0E2;
    uint256 internal constant STRANGER_KEY = 0x5778;

    uint64 internal constant START = 1_700_000_000;
    uint64 internal constant EXPIRES_AT = START + 365 days;
    uint64 internal constant DEADLINE = START + 1 hours;
    bytes32 internal constant ROOT = keccak256("root");

    uint256 internal constant PRICE = 0.05 ether;
    uint256 internal constant SUPPLY_CAP = 3;

    address internal governance = address(0x60F);
    address internal shopOwner = address(0x5409);
    address payable internal treasury = payable(address(0x7EA5));
    address internal certifier = address(0xC1);
    address internal otherCertifier = address(0xC2);
    address internal untrustedCertifier = address(0xC3);
    address internal buyer;
    address internal holder;
    address internal stranger;

    KycRegistry internal registry;
    VerifiedTicket internal ticket;

    function setUp() public {
        vm.warp(START);
        buyer = vm.addr(BUYER_KEY);
        holder = vm.addr(HOLDER_KEY);
        stranger = vm.addr(STRANGER_KEY);

        registry = new KycRegistry(governance);
        vm.startPrank(governance);
        registry.addCertifier(certifier, "Acme KYC");
        registry.addCertifier(otherCertifier, "Other KYC");
        registry.addCertifier(untrustedCertifier, "Elsewhere KYC");
        vm.stopPrank();

        address[] memory trusted = new address[](2);
        trusted[0] = certifier;
        trusted[1] = otherCertifier;
        ticket = new VerifiedTicket(
            registry, trusted, REQUIRED_EVIDENCE, PRICE, SUPPLY_CAP, "Verified Concert", "VTIX", shopOwner
        );

        vmDeal.deal(buyer, 10 ether);
        vmDeal.deal(holder, 10 ether);
        vmDeal.deal(stranger, 10 ether);
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    /// @dev The subject signs an EIP-712 `AttestRequest` as a wallet would, and `by` records it.
    function _attest(address by, uint256 subjectKey, uint16 evidence) internal {
        address subject = vm.addr(subjectKey);
        uint64 nonce = registry.nonces(subject, by);
        bytes32 structHash =
            keccak256(abi.encode(registry.ATTEST_REQUEST_TYPEHASH(), subject, by, ROOT, nonce, DEADLINE));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", registry.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(subjectKey, digest);
        vm.prank(by);
        registry.attest(subject, ROOT, evidence, EXPIRES_AT, DEADLINE, abi.encodePacked(r, s, v));
    }

    function _buyAs(address account) internal returns (uint256) {
        vm.prank(account);
        return ticket.buy{value: PRICE}();
    }

    function _expectBuyRevert(address account, bytes memory revertData) internal {
        vm.prank(account);
        vm.expectRevert(revertData);
        ticket.buy{value: PRICE}();
    }

    function _notVerified(address account) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(VerifiedTicket.NotVerified.selector, account);
    }

    // ------------------------------------------------------------------------------------------
    // Deployment
    // ------------------------------------------------------------------------------------------

    function test_Constructor() public view {
        vm.assertEq(address(ticket.registry()), address(registry));
        vm.assertEq(ticket.requiredEvidence(), REQUIRED_EVIDENCE);
        vm.assertEq(ticket.price(), PRICE);
        vm.assertEq(ticket.supplyCap(), SUPPLY_CAP);
        vm.assertEq(ticket.owner(), shopOwner);
        vm.assertEq(ticket.name(), "Verified Concert");
        vm.assertEq(ticket.symbol(), "VTIX");
        address[] memory trusted = ticket.trustedCertifiers();
        vm.assertEq(trusted.length, 2);
        vm.assertEq(trusted[0], certifier);
        vm.assertEq(trusted[1], otherCertifier);
    }

    function test_RevertWhen_NoTrustedCertifiers() public {
        vm.expectRevert(VerifiedTicket.NoTrustedCertifiers.selector);
        new VerifiedTicket(registry, new address[](0), REQUIRED_EVIDENCE, PRICE, SUPPLY_CAP, "T", "T", shopOwner);
    }

    // ------------------------------------------------------------------------------------------
    // Buying
    // ------------------------------------------------------------------------------------------

    function test_Buy() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);

        vm.expectEmit(true, true, false, true, address(ticket));
        emit VerifiedTicket.TicketSold(buyer, 1);
        uint256 tokenId = _buyAs(buyer);

        vm.assertEq(tokenId, 1);
        vm.assertEq(ticket.ownerOf(1), buyer);
        vm.assertEq(ticket.balanceOf(buyer), 1);
        vm.assertEq(ticket.ticketsSold(), 1);
        vm.assertEq(address(ticket).balance, PRICE);
        vm.assertEq(buyer.balance, 10 ether - PRICE);
    }

    function test_Buy_WithMoreEvidenceThanRequired() public {
        _attest(certifier, BUYER_KEY, 63);
        _buyAs(buyer);
        vm.assertEq(ticket.ownerOf(1), buyer);
    }

    function test_Buy_FromSecondTrustedCertifier() public {
        _attest(otherCertifier, BUYER_KEY, REQUIRED_EVIDENCE);
        _buyAs(buyer);
        vm.assertEq(ticket.ownerOf(1), buyer);
    }

    function test_Buy_OneTicketPerCall() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        vm.assertEq(_buyAs(buyer), 1);
        vm.assertEq(_buyAs(buyer), 2);
        vm.assertEq(ticket.balanceOf(buyer), 2);
        vm.assertEq(address(ticket).balance, 2 * PRICE);
    }

    function test_Buy_JustBeforeExpiry() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        vm.warp(EXPIRES_AT - 1);
        _buyAs(buyer);
        vm.assertEq(ticket.ownerOf(1), buyer);
    }

    function test_RevertWhen_BuyerUnverified() public {
        vm.assertFalse(ticket.isVerified(stranger));
        _expectBuyRevert(stranger, _notVerified(stranger));
    }

    function test_RevertWhen_BuyerMissingEvidence() public {
        _attest(certifier, BUYER_KEY, DOCUMENT);
        _expectBuyRevert(buyer, _notVerified(buyer));
    }

    function test_RevertWhen_AttestationRevoked() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        vm.prank(certifier);
        registry.revoke(buyer, "document reported stolen");
        _expectBuyRevert(buyer, _notVerified(buyer));
    }

    function test_RevertWhen_AttestationWithdrawn() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        vm.prank(buyer);
        registry.withdraw(certifier);
        _expectBuyRevert(buyer, _notVerified(buyer));
    }

    function test_RevertWhen_AttestationExpired() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        vm.warp(EXPIRES_AT);
        _expectBuyRevert(buyer, _notVerified(buyer));
    }

    function test_RevertWhen_CertifierRemoved() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        vm.prank(governance);
        registry.removeCertifier(certifier);
        _expectBuyRevert(buyer, _notVerified(buyer));
    }

    function test_RevertWhen_CertifierUntrusted() public {
        _attest(untrustedCertifier, BUYER_KEY, REQUIRED_EVIDENCE);
        vm.assertTrue(registry.isVerified(buyer, untrustedCertifier, REQUIRED_EVIDENCE));
        _expectBuyRevert(buyer, _notVerified(buyer));
    }

    function test_RevertWhen_PaymentWrong() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        uint256[3] memory payments = [uint256(0), PRICE - 1, PRICE + 1];
        for (uint256 i; i < payments.length; ++i) {
            vm.prank(buyer);
            vm.expectRevert(abi.encodeWithSelector(VerifiedTicket.WrongPayment.selector, payments[i], PRICE));
            ticket.buy{value: payments[i]}();
        }
        vm.assertEq(ticket.ticketsSold(), 0);
    }

    function testFuzz_Buy_OnlyAtExactPrice(uint256 sent) public {
        sent = bound(sent, 0, 10 ether);
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        vm.prank(buyer);
        if (sent != PRICE) {
            vm.expectRevert(abi.encodeWithSelector(VerifiedTicket.WrongPayment.selector, sent, PRICE));
        }
        ticket.buy{value: sent}();
        vm.assertEq(ticket.ticketsSold(), sent == PRICE ? 1 : 0);
        vm.assertEq(address(ticket).balance, sent == PRICE ? PRICE : 0);
    }

    function test_RevertWhen_SoldOut() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        for (uint256 i; i < SUPPLY_CAP; ++i) {
            _buyAs(buyer);
        }
        _expectBuyRevert(buyer, abi.encodeWithSelector(VerifiedTicket.SoldOut.selector));
        vm.assertEq(ticket.ticketsSold(), SUPPLY_CAP);
    }

    // ------------------------------------------------------------------------------------------
    // Transfers
    // ------------------------------------------------------------------------------------------

    function test_TransferToVerifiedHolder() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        _attest(otherCertifier, HOLDER_KEY, REQUIRED_EVIDENCE);
        uint256 tokenId = _buyAs(buyer);

        vm.prank(buyer);
        ticket.transferFrom(buyer, holder, tokenId);
        vm.assertEq(ticket.ownerOf(tokenId), holder);
    }

    function test_RevertWhen_TransferToUnverified() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        uint256 tokenId = _buyAs(buyer);

        vm.prank(buyer);
        vm.expectRevert(_notVerified(stranger));
        ticket.transferFrom(buyer, stranger, tokenId);

        vm.prank(buyer);
        vm.expectRevert(_notVerified(stranger));
        ticket.safeTransferFrom(buyer, stranger, tokenId);
        vm.assertEq(ticket.ownerOf(tokenId), buyer);
    }

    function test_RevertWhen_TransferToHolderWhoseAttestationExpired() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        uint256 tokenId = _buyAs(buyer);
        _attest(certifier, HOLDER_KEY, REQUIRED_EVIDENCE);
        vm.warp(EXPIRES_AT);

        vm.prank(buyer);
        vm.expectRevert(_notVerified(holder));
        ticket.transferFrom(buyer, holder, tokenId);
    }

    function test_Burn_EvenWhenNoLongerVerified() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        uint256 tokenId = _buyAs(buyer);
        vm.prank(certifier);
        registry.revoke(buyer, "expired document");

        vm.prank(buyer);
        ticket.burn(tokenId);
        vm.assertEq(ticket.balanceOf(buyer), 0);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, tokenId));
        ticket.ownerOf(tokenId);
    }

    // ------------------------------------------------------------------------------------------
    // Proceeds
    // ------------------------------------------------------------------------------------------

    function test_Withdraw() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        _buyAs(buyer);
        _buyAs(buyer);

        vm.expectEmit(true, false, false, true, address(ticket));
        emit VerifiedTicket.ProceedsWithdrawn(treasury, 2 * PRICE);
        vm.prank(shopOwner);
        ticket.withdraw(treasury);

        vm.assertEq(treasury.balance, 2 * PRICE);
        vm.assertEq(address(ticket).balance, 0);
    }

    function test_RevertWhen_WithdrawNotOwner() public {
        _attest(certifier, BUYER_KEY, REQUIRED_EVIDENCE);
        _buyAs(buyer);

        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, buyer));
        ticket.withdraw(payable(buyer));
        vm.assertEq(address(ticket).balance, PRICE);
    }
}
