// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721Burnable} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721Burnable.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IKycRegistry} from "../IKycRegistry.sol";

/// @title Tickets for verified buyers only
/// @notice An example of a service built on the KYC Anchor registry: an ERC-721 ticket sold only to
/// accounts that one of the shop's trusted certifiers has verified with the required evidence, and
/// never transferred to an unverified account, so tickets cannot be resold to anonymous buyers.
/// @dev The whole KYC check is one line in {_update}, which every mint and transfer passes through.
contract VerifiedTicket is ERC721, ERC721Burnable, Ownable {
    /// @notice The registry that holds the attestations.
    IKycRegistry public immutable registry;
    /// @notice Evidence bits every holder's attestation must carry (see {IKycRegistry.Attestation}).
    uint16 public immutable requiredEvidence;
    /// @notice The price of one ticket, in wei.
    uint256 public immutable price;
    /// @notice How many tickets can ever be sold.
    uint256 public immutable supplyCap;
    /// @notice How many tickets have been sold; also the id of the last one.
    uint256 public ticketsSold;

    address[] private _trustedCertifiers;

    /// @notice `buyer` bought ticket `tokenId`.
    event TicketSold(address indexed buyer, uint256 indexed tokenId);
    /// @notice The owner sent `amount` wei of proceeds to `to`.
    event ProceedsWithdrawn(address indexed to, uint256 amount);

    /// @notice `account` has no attestation with the required evidence from a trusted certifier.
    error NotVerified(address account);
    /// @notice A purchase must pay exactly the price.
    error WrongPayment(uint256 sent, uint256 price);
    /// @notice Every ticket has been sold.
    error SoldOut();
    /// @notice A shop needs at least one certifier it trusts.
    error NoTrustedCertifiers();

    /// @param registry_ The KYC Anchor registry.
    /// @param trustedCertifiers_ The certifiers whose attestations this shop accepts.
    /// @param requiredEvidence_ Evidence bits a buyer's attestation must carry, e.g. document | face = 3.
    /// @param price_ The price of one ticket, in wei.
    /// @param supplyCap_ How many tickets can ever be sold.
    /// @param initialOwner The account that withdraws the proceeds.
    constructor(
        IKycRegistry registry_,
        address[] memory trustedCertifiers_,
        uint16 requiredEvidence_,
        uint256 price_,
        uint256 supplyCap_,
        string memory name_,
        string memory symbol_,
        address initialOwner
    ) ERC721(name_, symbol_) Ownable(initialOwner) {
        if (trustedCertifiers_.length == 0) revert NoTrustedCertifiers();
        registry = registry_;
        _trustedCertifiers = trustedCertifiers_;
        requiredEvidence = requiredEvidence_;
        price = price_;
        supplyCap = supplyCap_;
    }

    /// @notice Buys one ticket for the caller, who must be verified, paying exactly {price}.
    /// @return tokenId The new ticket's id, counting from 1.
    function buy() external payable returns (uint256 tokenId) {
        if (ticketsSold == supplyCap) revert SoldOut();
        if (msg.value != price) revert WrongPayment(msg.value, price);
        tokenId = ++ticketsSold;
        _mint(msg.sender, tokenId); // {_update} refuses an unverified buyer
        emit TicketSold(msg.sender, tokenId);
    }

    /// @notice Sends all proceeds to `to`. Owner only.
    function withdraw(address payable to) external onlyOwner {
        uint256 amount = address(this).balance;
        Address.sendValue(to, amount);
        emit ProceedsWithdrawn(to, amount);
    }

    /// @notice The certifiers whose attestations this shop accepts.
    function trustedCertifiers() external view returns (address[] memory) {
        return _trustedCertifiers;
    }

    /// @notice Whether `account` may hold a ticket: one trusted certifier's attestation of it is active,
    /// unexpired, from a current certifier, and carries every required evidence bit.
    function isVerified(address account) public view returns (bool) {
        for (uint256 i; i < _trustedCertifiers.length; ++i) {
            if (registry.isVerified(account, _trustedCertifiers[i], requiredEvidence)) return true;
        }
        return false;
    }

    /// @dev Every mint and transfer lands here: the recipient must be verified. Burns (`to` zero) stay open,
    /// so a holder can always give a ticket up.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (to != address(0) && !isVerified(to)) revert NotVerified(to);
        return super._update(to, tokenId, auth);
    }
}
